namespace Rex.Model.Jinja;

/// <summary>
/// Expressions, with jinja2's precedence from loosest to tightest: `x if c else y`, or, and, not, comparisons and
/// in, + -, ~, * / // %, ** (left-associative, as in jinja2), unary - +, then postfix `.a` `[k]` `(...)` and the
/// filters and tests that bind to them (`-x|abs` is `(-x)|abs`, `a + b|f` is `a + (b|f)`).
/// </summary>
internal sealed partial class Parser
{
    static readonly string[] ComparisonOperators = ["==", "!=", "<", ">", "<=", ">="];

    /// <summary>
    /// Expressions separated by commas, a tuple when there is a comma (`{{ a, b }}`, `set a, b = 1, 2`). Without
    /// `withCondition` the parts are `or` expressions, so that a following `if` belongs to the statement.
    /// </summary>
    Expression Tuple(bool withCondition = true, string[]? extraEnds = null, bool parenthesized = false)
    {
        var items = new List<Expression>();
        var isTuple = false;
        while (true)
        {
            if (items.Count > 0) reader.Expect(TokenKind.Operator, ",");
            if (IsTupleEnd(extraEnds)) break;
            items.Add(withCondition ? Expression() : Or());
            if (!reader.Current.IsOperator(",")) break;
            isTuple = true;
        }
        if (isTuple || items.Count == 0 && parenthesized) return new ListLiteral(items, IsTuple: true);
        if (items.Count == 0) throw reader.Error(reader.Current, $"expected an expression, got {reader.Current.Describe()}");
        return items[0];
    }

    bool IsTupleEnd(string[]? extraEnds)
    {
        var current = reader.Current;
        return current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd || current.IsOperator(")")
            || current.Kind == TokenKind.Name && extraEnds is not null && extraEnds.Contains(current.Text);
    }

    Expression Expression()
    {
        var value = Or();
        while (reader.SkipName("if"))
        {
            var test = Or();
            var otherwise = reader.SkipName("else") ? Expression() : null;
            value = new Conditional(test, value, otherwise);
        }
        return value;
    }

    Expression Or() => LeftAssociative(And, "or");

    Expression And() => LeftAssociative(Not, "and");

    Expression Not() => reader.SkipName("not") ? new Unary("not", Not()) : Comparison();

    Expression Comparison()
    {
        var first = Sum();
        var rest = new List<KeyValuePair<string, Expression>>();
        while (true)
        {
            var current = reader.Current;
            if (current.Kind == TokenKind.Operator && ComparisonOperators.Contains(current.Text))
            {
                reader.Next();
                rest.Add(new(current.Text, Sum()));
            }
            else if (reader.SkipName("in")) rest.Add(new("in", Sum()));
            else if (current.IsName("not") && reader.Peek.IsName("in"))
            {
                reader.Next();
                reader.Next();
                rest.Add(new("notin", Sum()));
            }
            else break;
        }
        return rest.Count == 0 ? first : new Comparison(first, rest);
    }

    Expression Sum() => LeftAssociative(Concatenation, "+", "-");

    Expression Concatenation() => LeftAssociative(Product, "~");

    Expression Product() => LeftAssociative(Power, "*", "/", "//", "%");

    Expression Power() => LeftAssociative(() => Unary(withFilters: true), "**");

    /// <summary>operand (op operand)*, folded to the left; `and`/`or` are names, the rest operators.</summary>
    Expression LeftAssociative(Func<Expression> operand, params string[] operators)
    {
        var left = operand();
        while (reader.Current.Kind is TokenKind.Operator or TokenKind.Name && operators.Contains(reader.Current.Text))
            left = new Binary(reader.Next().Text, left, operand());
        return left;
    }

    Expression Unary(bool withFilters)
    {
        Expression value;
        if (reader.Current.IsOperator("-") || reader.Current.IsOperator("+"))
            value = new Unary(reader.Next().Text, Unary(withFilters: false));
        else value = Primary();
        value = Postfix(value);
        return withFilters ? FiltersAndTests(value) : value;
    }
}
