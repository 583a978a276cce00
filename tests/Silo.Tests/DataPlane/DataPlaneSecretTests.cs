using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Rex.Protos.DataPlane;
using Rex.Silo.DataPlane;
using Rex.Silo.Experts;
using Rex.Silo.Hosting;
using Rex.Tests;
using static TorchSharp.torch;

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
        using var catalog = new ModelCatalog(TestPaths.DbrxTiny, "dbrx-tiny", ScalarType.Float32);
        var registry = new ExpertRegistry();
        await using var server = new DataPlaneServer(Options.Create(new RexOptions { DataPlaneSecret = "s3cret" }), new ExpertBatchRunner(registry, catalog), registry);
        await server.StartAsync(CancellationToken.None);
        using var channel = GrpcChannel.ForAddress(await registry.DataPlaneAddress);
        var client = new ExpertDataPlane.ExpertDataPlaneClient(channel);

        foreach (var presented in new[] { new Metadata(), new DataPlaneSecret("wrong").Headers })
        {
            using var refused = client.Exchange(presented);
            var error = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        }

        // With the secret the stream is served: a batch for an expert this silo does not host comes back NOT_FOUND.
        using var served = client.Exchange(new DataPlaneSecret("s3cret").Headers);
        await served.RequestStream.WriteAsync(new ExpertBatch
        {
            RequestId = 7, Model = "dbrx-tiny", Layer = 0, NumRows = 1, HiddenSize = 64, Dtype = TensorDType.Float32,
            Hidden = Google.Protobuf.ByteString.CopyFrom(new byte[64 * 4]),
            Slices = { new ExpertSlice { Expert = 3, Rows = { 0 }, Weights = { 1f } } },
        });
        Assert.True(await served.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal((7ul, (int)StatusCode.NotFound), (served.ResponseStream.Current.RequestId, served.ResponseStream.Current.StatusCode));
        await served.RequestStream.CompleteAsync();
        await server.StopAsync(CancellationToken.None);
    }
}
