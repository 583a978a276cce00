namespace Rex.Model.Jinja;

/// <summary>Filters (`value | name(args)`) and tests (`value is [not] name arg`), whose names must exist when parsed.</summary>
internal sealed partial class Parser
{
    /// <summary>The filters (`|name(args)`), tests (`is [not] name arg`) and calls that follow a value.</summary>
    Expression FiltersAndTests(Expression value)
    {
        while (true)
        {
            if (reader.Current.IsOperator("|")) value = FilterChain(value, inline: false);
            else if (reader.Current.IsName("is")) value = TestOf(value);
            else if (reader.Current.IsOperator("(")) value = new Call(value, CallArgs());
            else return value;
        }
    }

    /// <summary>A chain of filters; `inline` starts at a filter name with no `|` before it (`{% filter upper %}`).</summary>
    Expression FilterChain(Expression? value, bool inline)
    {
        while (inline || reader.SkipOperator("|"))
        {
            inline = false;
            var (token, name) = DottedName();
            if (!Filters.Exists(name)) throw reader.Error(token, $"no filter named '{name}'");
            value = new Filter(value, name, reader.Current.IsOperator("(") ? CallArgs() : CallArguments.None);
        }
        return value!;
    }

    Expression TestOf(Expression value)
    {
        reader.Next();
        var negated = reader.SkipName("not");
        var (token, name) = DottedName();
        if (!Tests.Exists(name)) throw reader.Error(token, $"no test named '{name}'");
        var current = reader.Current;
        CallArguments arguments;
        if (current.IsOperator("(")) arguments = CallArgs();
        else if (StartsTestArgument(current))
        {
            if (current.IsName("is")) throw reader.Error(current, "tests cannot be chained with another 'is'");
            arguments = new CallArguments([Postfix(Primary())], []);
        }
        else arguments = CallArguments.None;
        return new Test(value, name, arguments, negated);
    }

    // jinja2 takes one argument without parentheses (`is divisibleby 3`, `is sameas false`) when a primary follows.
    static bool StartsTestArgument(Token token) =>
        token.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
        || token.Kind == TokenKind.Name && token.Text is not ("and" or "or" or "else")
        || token.IsOperator("[") || token.IsOperator("{");

    (Token Token, string Name) DottedName()
    {
        var token = reader.Expect(TokenKind.Name);
        var name = token.Text;
        while (reader.SkipOperator(".")) name += "." + reader.ExpectName();
        return (token, name);
    }
}
