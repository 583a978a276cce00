namespace Rex.EndToEnd.Tests.Fuzz;

/// <summary>
/// One hostile request: where it goes (the report's target), a name that says what is hostile about it, and how to
/// send it. Sending returns what came back, already judged by the target's oracle.
/// </summary>
public sealed record FuzzCase(string Target, string Name, Func<CancellationToken, Task<FuzzOutcome>> Send);

/// <summary>What one case got back: the status as the report counts it, and why it breaks the oracle (null: it does not).</summary>
public sealed record FuzzOutcome(string Status, string? Violation = null)
{
    public static FuzzOutcome Broken(string status, string violation) => new(status, violation);
}
