using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Rex.Gateway.Api;

/// <summary>Refuses gRPC calls without the API key (UNAUTHENTICATED); health checks stay open for probes.</summary>
public sealed class ApiKeyInterceptor(ApiKeyCheck check) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    void Check(ServerCallContext context)
    {
        if (context.Method.StartsWith("/grpc.health.v1.", StringComparison.Ordinal)) return;
        if (!check.IsAuthorized(context.RequestHeaders.GetValue("authorization")))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "authorization: this gateway needs 'Bearer <ApiKey>'"));
    }
}
