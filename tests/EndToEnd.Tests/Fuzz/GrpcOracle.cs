using System.Text;
using Grpc.Core;

namespace Rex.EndToEnd.Tests.Fuzz;

/// <summary>
/// What a gRPC answer to hostile input may be: a refusal the client can act on, or OK for a case that happens to be
/// valid. INTERNAL and UNKNOWN (a handler that threw something unmapped), UNAVAILABLE (a healthy one-process
/// cluster has no reason for it) and the rest break the oracle.
/// </summary>
public static class GrpcOracle
{
    static readonly HashSet<StatusCode> Allowed =
    [
        StatusCode.OK, StatusCode.InvalidArgument, StatusCode.ResourceExhausted, StatusCode.DeadlineExceeded, StatusCode.Cancelled,
        StatusCode.Unauthenticated, StatusCode.NotFound, StatusCode.Unimplemented,
    ];

    public static FuzzOutcome Judge(StatusCode code, string detail) =>
        Allowed.Contains(code) ? new FuzzOutcome(Name(code)) : FuzzOutcome.Broken(Name(code), detail);

    /// <summary>A call's outcome: OK with what its answer breaks (null: nothing), or the status it failed with.</summary>
    public static async Task<FuzzOutcome> Call(Func<Task<string?>> call)
    {
        try
        {
            var violation = await call();
            return new FuzzOutcome(Name(StatusCode.OK), violation);
        }
        catch (RpcException e)
        {
            return Judge(e.StatusCode, e.Status.Detail);
        }
    }

    /// <summary>The status as the gRPC spec spells it: INVALID_ARGUMENT.</summary>
    public static string Name(StatusCode code)
    {
        var name = new StringBuilder();
        var pascal = code.ToString();
        for (var i = 0; i < pascal.Length; i++)
        {
            // A word starts at an upper-case letter after a lower-case one: OK stays OK.
            if (i > 0 && char.IsUpper(pascal[i]) && char.IsLower(pascal[i - 1])) name.Append('_');
            name.Append(char.ToUpperInvariant(pascal[i]));
        }
        return name.ToString();
    }
}
