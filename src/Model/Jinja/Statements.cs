namespace Rex.Model.Jinja;

/// <summary>A node of a template's syntax tree; Offset is where its tag starts, for the line and column of render errors.</summary>
internal abstract record Statement(int Offset);

/// <summary>Template text, written out as it is.</summary>
internal sealed record Text(string Value, int Offset) : Statement(Offset);

/// <summary>`{{ value }}`.</summary>
internal sealed record Print(Expression Value, int Offset) : Statement(Offset);

internal sealed record IfBranch(Expression Test, IReadOnlyList<Statement> Body);

/// <summary>`if`, its `elif`s and `else`.</summary>
internal sealed record If(IReadOnlyList<IfBranch> Branches, IReadOnlyList<Statement> Otherwise, int Offset) : Statement(Offset);

/// <summary>`for target in items if filter` ... `else` (run when nothing was iterated).</summary>
internal sealed record For(
    AssignTarget Target, Expression Items, Expression? Condition, IReadOnlyList<Statement> Body, IReadOnlyList<Statement> Otherwise, int Offset)
    : Statement(Offset);

/// <summary>`{% set target = value %}`.</summary>
internal sealed record Set(AssignTarget Target, Expression Value, int Offset) : Statement(Offset);

/// <summary>`{% set target %}body{% endset %}`: the target gets the rendered body, through the filters if any.</summary>
internal sealed record SetBlock(AssignTarget Target, IReadOnlyList<Statement> Body, Filter? Filters, int Offset) : Statement(Offset);

internal sealed record Parameter(string Name, Expression? Default);

internal sealed record Macro(string Name, IReadOnlyList<Parameter> Parameters, IReadOnlyList<Statement> Body, int Offset) : Statement(Offset);

/// <summary>`{% call(parameters) macro(...) %}body{% endcall %}`: the macro runs with `caller` rendering the body.</summary>
internal sealed record CallBlock(Call Call, IReadOnlyList<Parameter> CallerParameters, IReadOnlyList<Statement> Body, int Offset)
    : Statement(Offset);

/// <summary>`{% filter name %}body{% endfilter %}`: the rendered body passed through the filters.</summary>
internal sealed record FilterBlock(Filter Filters, IReadOnlyList<Statement> Body, int Offset) : Statement(Offset);

/// <summary>`{% with a = 1 %}body{% endwith %}`: assignments that end with the block.</summary>
internal sealed record With(IReadOnlyList<KeyValuePair<AssignTarget, Expression>> Assignments, IReadOnlyList<Statement> Body, int Offset)
    : Statement(Offset);

/// <summary>A body run in the enclosing scope: Hugging Face's `{% generation %}` marker for assistant-token masks.</summary>
internal sealed record Group(IReadOnlyList<Statement> Body, int Offset) : Statement(Offset);

internal sealed record Break(int Offset) : Statement(Offset);

internal sealed record Continue(int Offset) : Statement(Offset);

/// <summary>What `set`, `for` and `with` assign to.</summary>
internal abstract record AssignTarget;

internal sealed record NameTarget(string Name) : AssignTarget;

/// <summary>`a, b`: unpacks a sequence of exactly that many items.</summary>
internal sealed record TupleTarget(IReadOnlyList<AssignTarget> Items) : AssignTarget;

/// <summary>`ns.attribute`: assigns into a namespace (only `set` may).</summary>
internal sealed record NamespaceTarget(string Namespace, string Attribute) : AssignTarget;
