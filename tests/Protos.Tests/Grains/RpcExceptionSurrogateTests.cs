using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Rex.Protos.Tests.Grains;

public sealed class RpcExceptionSurrogateTests
{
    [Fact]
    public void AGrpcStatusCrossesOrleansWireAsTheExceptionAGrainCallFailsWith()
    {
        using var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        Exception failure = new RpcException(new Status(StatusCode.Unavailable, "expert silo 127.0.0.1:5000 did not answer layer 3"));

        var received = Assert.IsType<RpcException>(serializer.Deserialize<Exception>(serializer.SerializeToArray(failure)));

        Assert.Equal(StatusCode.Unavailable, received.StatusCode);
        Assert.Equal("expert silo 127.0.0.1:5000 did not answer layer 3", received.Status.Detail);
    }
}
