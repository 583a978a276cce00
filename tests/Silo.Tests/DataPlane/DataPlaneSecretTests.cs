using Grpc.Core;
using Grpc.Net.Client;
using Rex.Protos.DataPlane;
using Rex.Silo.DataPlane;
using Rex.Silo.Hosting;

namespace Rex.Silo.Tests.DataPlane;

/// <summary>With DataPlaneSecret set, a silo's data plane answers only streams that present it.</summary>
public sealed class DataPlaneSecretTests
{
    [Fact]
    public void TheSecretIsComparedWholeAndOnlyWhenSet()
    {
        var secret = new DataPlaneSecret("s3cret");
        Assert.True(secret.IsAuthorized("s3cret"));
        Assert.False(secret.IsAuthorized("s3cre"));
        Assert.False(secret.IsAuthorized(null));
        Assert.True(new DataPlaneSecret("").IsAuthorized(null));
        Assert.Empty(new DataPlaneSecret("").Headers);
    }

    [Fact]
    public async Task AStreamWithoutTheSecretIsRefusedAndOneWithItIsServed()
    {
        await using var server = await EmptyDataPlane.Start(new RexOptions { DataPlaneSecret = "s3cret" });
        using var channel = GrpcChannel.ForAddress(server.Address);
        var client = new ExpertDataPlane.ExpertDataPlaneClient(channel);

        foreach (var presented in new[] { new Metadata(), new DataPlaneSecret("wrong").Headers })
        {
            using var refused = client.Exchange(presented);
            var error = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        }

        using var served = client.Exchange(new DataPlaneSecret("s3cret").Headers);
        await EmptyDataPlane.AssertServed(served);
    }
}
