using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Rex.Protos.DataPlane;
using Rex.Protos.Grains;
using Rex.Silo.DataPlane;
using Rex.Silo.Devices;
using Rex.Silo.Experts;
using Rex.Silo.Hosting;
using Rex.Tests;
using static TorchSharp.torch;

namespace Rex.Silo.Tests.DataPlane;

/// <summary>
/// A real data-plane server on a loopback port hosting layer 0 of the fixture model: experts 0-7 on logical
/// device cpu:0 and 8-15 on cpu:1, registered as their grains would register them.
/// </summary>
public sealed class DataPlaneFixture : IAsyncLifetime
{
    public const string Model = "dbrx-tiny";

    readonly ModelCatalog catalog = new(TestPaths.DbrxTiny, Model, ScalarType.Float32);
    readonly DeviceInventory devices = new(DeviceSpec.ParseList("cpu:0,cpu:1"));
    readonly ExpertRegistry registry = new();
    DataPlaneServer? server;
    GrpcChannel? channel;

    public ExpertRegistry Registry => registry;

    public ExpertDataPlane.ExpertDataPlaneClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        for (var expert = 0; expert < 16; expert++)
            registry.Add(await HostedExpert.Load(catalog, new ExpertGrainKey(Model, 0, expert, 0), devices.Executors[expert / 8]));
        server = new DataPlaneServer(Options.Create(new RexOptions()), new ExpertBatchRunner(registry, catalog), registry);
        await server.StartAsync(CancellationToken.None);
        channel = GrpcChannel.ForAddress(await registry.DataPlaneAddress);
        Client = new ExpertDataPlane.ExpertDataPlaneClient(channel);
    }

    public async Task DisposeAsync()
    {
        channel?.Dispose();
        if (server is not null)
        {
            await server.StopAsync(CancellationToken.None);
            await server.DisposeAsync();
        }
        devices.Dispose();
        catalog.Dispose();
    }
}
