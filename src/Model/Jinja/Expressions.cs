namespace Rex.Model.Jinja;

/// <summary>A node of an expression's syntax tree. Parsed once per template, evaluated by <see cref="Renderer"/>.</summary>
internal abstract record Expression;

/// <summary>A literal: a string, number, true/false/none.</summary>
internal sealed record Literal(Value Value) : Expression;

internal sealed record Variable(string Name) : Expression;

internal sealed record ListLiteral(IReadOnlyList<Expression> Items, bool IsTuple) : Expression;

internal sealed record DictLiteral(IReadOnlyList<KeyValuePair<Expression, Expression>> Entries) : Expression;

/// <summary>`target.name`: the attribute first, then the item of that name (jinja2's getattr).</summary>
internal sealed record AttributeAccess(Expression Target, string Name) : Expression
{
    public StringValue Key { get; } = new(Name);
}

/// <summary>`target[key]`: the item first, then the attribute of that name (jinja2's getitem).</summary>
internal sealed record ItemAccess(Expression Target, Expression Key) : Expression;

/// <summary>`target[start:stop:step]`, any part optional.</summary>
internal sealed record Slice(Expression Target, Expression? Start, Expression? Stop, Expression? Step) : Expression;

/// <summary>
/// The arguments written at a call, filter or test: positional, then keyword, and the `*items` and `**mapping` that
/// add more of each.
/// </summary>
internal sealed record CallArguments(
    IReadOnlyList<Expression> Positional, IReadOnlyList<KeyValuePair<string, Expression>> Keywords, Expression? MorePositional = null,
    Expression? MoreKeywords = null)
{
    public static readonly CallArguments None = new([], []);
}

internal sealed record Call(Expression Callee, CallArguments Arguments) : Expression;

/// <summary>`target | name(arguments)`; the target is null in `{% filter %}` blocks, whose body is the value.</summary>
internal sealed record Filter(Expression? Target, string Name, CallArguments Arguments) : Expression;

/// <summary>`target is [not] name(arguments)`.</summary>
internal sealed record Test(Expression Target, string Name, CallArguments Arguments, bool Negated) : Expression;

/// <summary>Unary `-`, `+` and `not`.</summary>
internal sealed record Unary(string Operator, Expression Operand) : Expression;

/// <summary>Arithmetic (+ - * / // % **), concatenation (~) and the short-circuit `and`/`or`.</summary>
internal sealed record Binary(string Operator, Expression Left, Expression Right) : Expression;

/// <summary>A chain of comparisons (a &lt; b &lt;= c), each operator one of == != &lt; &gt; &lt;= &gt;= in, notin.</summary>
internal sealed record Comparison(Expression First, IReadOnlyList<KeyValuePair<string, Expression>> Rest) : Expression;

/// <summary>`then if test else otherwise`; without `else` a false test gives Undefined.</summary>
internal sealed record Conditional(Expression Test, Expression Then, Expression? Otherwise) : Expression;
