using Grpc.Core;

namespace Rex.Protos.Grains;

/// <summary>
/// A gRPC status as it crosses a grain call. The gateway engine fails a request with an <see cref="RpcException"/> (an
/// expert silo that did not answer is UNAVAILABLE) and Orleans has no codec of its own for one: a caller outside the
/// gateway's silo got "could not find a codec for type Grpc.Core.RpcException" instead of the status.
/// </summary>
[GenerateSerializer, Immutable, Alias("rex.RpcStatus")]
public readonly record struct RpcExceptionSurrogate([property: Id(0)] int StatusCode, [property: Id(1)] string Detail);

[RegisterConverter]
public sealed class RpcExceptionConverter : IConverter<RpcException, RpcExceptionSurrogate>
{
    public RpcException ConvertFromSurrogate(in RpcExceptionSurrogate surrogate) =>
        new(new Status((StatusCode)surrogate.StatusCode, surrogate.Detail));

    public RpcExceptionSurrogate ConvertToSurrogate(in RpcException value) => new((int)value.StatusCode, value.Status.Detail);
}
