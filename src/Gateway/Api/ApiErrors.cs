using Grpc.Core;
using Orleans.Runtime;

namespace Rex.Gateway.Api;

/// <summary>Turns what went wrong behind the API into the gRPC status a client can act on, with the message kept.</summary>
public static class ApiErrors
{
    public static RpcException ToRpc(Exception error, ServerCallContext context) => error switch
    {
        RpcException rpc => rpc,
        ArgumentException argument => new RpcException(new Status(StatusCode.InvalidArgument, argument.Message)),
        OperationCanceledException when context.Deadline <= DateTime.UtcNow =>
            new RpcException(new Status(StatusCode.DeadlineExceeded, "the request's deadline passed")),
        OperationCanceledException => new RpcException(new Status(StatusCode.Cancelled, "the request was cancelled")),
        OrleansException or TimeoutException => new RpcException(new Status(StatusCode.Unavailable, error.Message)),
        _ => new RpcException(new Status(StatusCode.Internal, $"{error.GetType().Name}: {error.Message}")),
    };
}
