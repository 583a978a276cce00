using Grpc.Core;
using Microsoft.Extensions.Options;
using Rex.Protos.DataPlane;
using Rex.Silo.DataPlane;
using Rex.Silo.Experts;
using Rex.Silo.Hosting;
using Rex.Silo.Security;
using Rex.Tests;
using static TorchSharp.torch;

namespace Rex.Silo.Tests.DataPlane;

/// <summary>
/// A real data-plane server on a loopback port that hosts no expert, for tests of who may open a stream: a stream it
/// serves answers a batch for any expert with NOT_FOUND.
/// </summary>
public sealed class EmptyDataPlane : IAsyncDisposable
{
    readonly ModelCatalog catalog = new(TestPaths.DbrxTiny, "dbrx-tiny", ScalarType.Float32);
    readonly ExpertRegistry registry = new();
    readonly DataPlaneServer server;

    EmptyDataPlane(RexOptions options, ClusterCertificates? certificates) =>
        server = new DataPlaneServer(Options.Create(options), new ExpertBatchRunner(registry, catalog), registry, certificates: certificates);

    /// <summary>https:// with certificates, else http://.</summary>
    public string Address { get; private set; } = "";

    public static async Task<EmptyDataPlane> Start(RexOptions options, ClusterCertificates? certificates = null)
    {
        var dataPlane = new EmptyDataPlane(options, certificates);
        await dataPlane.server.StartAsync(CancellationToken.None);
        dataPlane.Address = await dataPlane.registry.DataPlaneAddress;
        return dataPlane;
    }

    /// <summary>Sends one batch on <paramref name="call"/> and checks the server answered it (NOT_FOUND), then ends the stream.</summary>
    public static async Task AssertServed(AsyncDuplexStreamingCall<ExpertBatch, ExpertPartial> call)
    {
        await call.RequestStream.WriteAsync(new ExpertBatch
        {
            RequestId = 7, Model = "dbrx-tiny", Layer = 0, NumRows = 1, HiddenSize = 64, Dtype = TensorDType.Float32,
            Hidden = Google.Protobuf.ByteString.CopyFrom(new byte[64 * 4]),
            Slices = { new ExpertSlice { Expert = 3, Rows = { 0 }, Weights = { 1f } } },
        });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal((7ul, (int)StatusCode.NotFound), (call.ResponseStream.Current.RequestId, call.ResponseStream.Current.StatusCode));
        await call.RequestStream.CompleteAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await server.StopAsync(CancellationToken.None);
        await server.DisposeAsync();
        catalog.Dispose();
    }
}
