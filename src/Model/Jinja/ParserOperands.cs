using System.Globalization;

namespace Rex.Model.Jinja;

/// <summary>The operands of expressions: literals, names, brackets, and the `.name`, `[key]`, `[a:b]` and `(args)` after them.</summary>
internal sealed partial class Parser
{
    Expression Primary()
    {
        var token = reader.Next();
        switch (token.Kind)
        {
            case TokenKind.Name:
                return token.Text switch
                {
                    "true" or "True" => new Literal(BoolValue.True),
                    "false" or "False" => new Literal(BoolValue.False),
                    "none" or "None" => new Literal(NoneValue.Instance),
                    _ => new Variable(token.Text),
                };
            case TokenKind.String:
                // Adjacent literals join, as in Python: 'a' 'b' is 'ab'.
                var text = token.Text;
                while (reader.Current.Kind == TokenKind.String) text += reader.Next().Text;
                return new Literal(new StringValue(text));
            case TokenKind.Integer:
                return new Literal(new IntValue(Integer(token)));
            case TokenKind.Float:
                return new Literal(new FloatValue(double.Parse(token.Text.Replace("_", ""), CultureInfo.InvariantCulture)));
            case TokenKind.Operator when token.Text == "(":
                var inner = Tuple(parenthesized: true);
                reader.Expect(TokenKind.Operator, ")");
                return inner;
            case TokenKind.Operator when token.Text == "[":
                return new ListLiteral(Sequence("]", Expression), IsTuple: false);
            case TokenKind.Operator when token.Text == "{":
                return new DictLiteral(Sequence("}", DictEntry));
            default:
                throw reader.Error(token, $"unexpected {token.Describe()}");
        }
    }

    /// <summary>An integer literal in 64 bits: decimal (no leading zeros, as in Python), 0x, 0o or 0b, with underscores.</summary>
    long Integer(Token token)
    {
        var text = token.Text.Replace("_", "");
        var radix = text.Length > 1 && text[0] == '0' ? char.ToLowerInvariant(text[1]) switch { 'x' => 16, 'o' => 8, 'b' => 2, _ => 10 } : 10;
        var digits = radix == 10 ? text : text[2..];
        var valid = digits.Length > 0 && (radix != 10 || digits[0] != '0' || digits.Trim('0').Length == 0);
        long value = 0;
        try
        {
            foreach (var c in digits)
            {
                var digit = char.IsAsciiHexDigit(c) ? Convert.ToInt32(c.ToString(), 16) : radix;
                valid &= digit < radix;
                value = checked(value * radix + digit);
            }
        }
        catch (OverflowException)
        {
            valid = false;
        }
        return valid ? value : throw reader.Error(token, $"invalid integer literal '{token.Text}' (or outside 64 bits)");
    }

    KeyValuePair<Expression, Expression> DictEntry()
    {
        var key = Expression();
        reader.Expect(TokenKind.Operator, ":");
        return new(key, Expression());
    }

    /// <summary>Comma-separated items up to `close` (already past the opening bracket); a trailing comma is allowed.</summary>
    List<T> Sequence<T>(string close, Func<T> item)
    {
        var items = new List<T>();
        while (!reader.Current.IsOperator(close))
        {
            if (items.Count > 0) reader.Expect(TokenKind.Operator, ",");
            if (reader.Current.IsOperator(close)) break;
            items.Add(item());
        }
        reader.Expect(TokenKind.Operator, close);
        return items;
    }

    Expression Postfix(Expression value)
    {
        while (true)
        {
            if (reader.SkipOperator(".")) value = Dotted(value);
            else if (reader.SkipOperator("[")) value = Subscript(value);
            else if (reader.Current.IsOperator("(")) value = new Call(value, CallArgs());
            else return value;
        }
    }

    Expression Dotted(Expression target)
    {
        var token = reader.Next();
        return token.Kind switch
        {
            TokenKind.Name => new AttributeAccess(target, token.Text),
            TokenKind.Integer => new ItemAccess(target, new Literal(new IntValue(Integer(token)))),
            _ => throw reader.Error(token, $"expected a name or a number after '.', got {token.Describe()}"),
        };
    }

    /// <summary>`[key]`, `[a, b]` (a tuple key) or a slice `[start:stop:step]` with any part left out.</summary>
    Expression Subscript(Expression target)
    {
        Expression? start = null;
        if (!reader.Current.IsOperator(":"))
        {
            start = Tuple();
            if (reader.SkipOperator("]")) return new ItemAccess(target, start);
        }
        reader.Expect(TokenKind.Operator, ":");
        var stop = SliceBound();
        var step = reader.SkipOperator(":") ? SliceBound() : null;
        reader.Expect(TokenKind.Operator, "]");
        return new Slice(target, start, stop, step);
    }

    Expression? SliceBound() => reader.Current.IsOperator(":") || reader.Current.IsOperator("]") ? null : Expression();

    /// <summary>`(a, b, name=c, *items, **mapping)`: positional before keyword, as Python requires.</summary>
    CallArguments CallArgs()
    {
        reader.Expect(TokenKind.Operator, "(");
        var positional = new List<Expression>();
        var keywords = new List<KeyValuePair<string, Expression>>();
        Expression? morePositional = null;
        Expression? moreKeywords = null;
        var arguments = Sequence(")", () =>
        {
            var token = reader.Current;
            if (reader.SkipOperator("*")) morePositional = Expression();
            else if (reader.SkipOperator("**")) moreKeywords = Expression();
            else if (token.Kind == TokenKind.Name && reader.Peek.IsOperator("="))
            {
                reader.Next();
                reader.Next();
                keywords.Add(new(token.Text, Expression()));
            }
            else if (keywords.Count > 0 || morePositional is not null || moreKeywords is not null)
                throw reader.Error(token, "a positional argument follows a keyword argument or *items");
            else positional.Add(Expression());
            return token;
        });
        return arguments.Count == 0 ? CallArguments.None : new CallArguments(positional, keywords, morePositional, moreKeywords);
    }
}
