using Grpc.Core;
using Orleans.Runtime;
using Rex.Protos.Grains;

namespace Rex.Gateway.Api;

/// <summary>Turns what went wrong behind the API into the gRPC status a client can act on, with the message kept.</summary>
public static class ApiErrors
{
    /// <summary>Runs a call's body, mapping any failure to its status: one request's failure never reaches the server.</summary>
    public static async Task<T> Guard<T>(ServerCallContext context, Func<Task<T>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e)
        {
            throw ToRpc(e, context);
        }
    }

    /// <summary>The message without .NET's " (Parameter 'name')" suffix: our messages already start with the field.</summary>
    public static string Describe(ArgumentException error)
    {
        var suffix = $" (Parameter '{error.ParamName}')";
        return error.ParamName is not null && error.Message.EndsWith(suffix, StringComparison.Ordinal) ? error.Message[..^suffix.Length] : error.Message;
    }

    /// <summary>
    /// The same error reported against the field as this endpoint names it (the engine says prompt where chat says
    /// messages, the CLI --top-p where the engine says top_p), in the message too where the field leads it.
    /// </summary>
    public static ArgumentException Renamed(ArgumentException error, string field)
    {
        var text = Describe(error);
        if (error.ParamName is { } old && text.StartsWith(old + " ", StringComparison.Ordinal)) text = field + text[old.Length..];
        return new ArgumentException(text, field, error);
    }

    public static RpcException ToRpc(Exception error, ServerCallContext context) => error switch
    {
        RpcException rpc => rpc,
        // A model this gateway does not serve is not found, as OpenAI's and vLLM's HTTP APIs answer it (404).
        ArgumentException { ParamName: "model" } model => new RpcException(new Status(StatusCode.NotFound, Describe(model))),
        ArgumentException argument => new RpcException(new Status(StatusCode.InvalidArgument, Describe(argument))),
        QueueFullException full => new RpcException(new Status(StatusCode.ResourceExhausted, full.Message)),
        NoExpertsException none => new RpcException(new Status(StatusCode.Unavailable, none.Message)),
        OperationCanceledException when context.Deadline <= DateTime.UtcNow =>
            new RpcException(new Status(StatusCode.DeadlineExceeded, "the request's deadline passed")),
        OperationCanceledException => new RpcException(new Status(StatusCode.Cancelled, "the request was cancelled")),
        // A stream's enumerator on the gateway grain expires when its reader falls silent (a starved or stalled
        // process): the engine went on without this caller, who may retry.
        EnumerationAbortedException => new RpcException(new Status(StatusCode.Unavailable, $"the stream from the gateway engine was interrupted: {error.Message}")),
        OrleansException or TimeoutException => new RpcException(new Status(StatusCode.Unavailable, error.Message)),
        _ => new RpcException(new Status(StatusCode.Internal, $"{error.GetType().Name}: {error.Message}")),
    };
}
