using Microsoft.Extensions.Options;
using Rex.Protos.Grains;
using Rex.Silo.DataPlane;
using Rex.Silo.Devices;
using Rex.Silo.Experts;
using Rex.Silo.Hosting;
using static TorchSharp.torch;

namespace Rex.Cli.Bench;

/// <summary>
/// An expert silo's data plane without Orleans: every expert of layer 0 of a model loaded in float32 on one CPU
/// executor (an expert silo's default `Devices`) and registered as their grains would register themselves, served
/// by the production <see cref="DataPlaneServer"/> on a free loopback port.
/// </summary>
internal sealed class LoopbackExpertSilo : IAsyncDisposable
{
    public const int Layer = 0;

    readonly DeviceInventory devices = new(DeviceSpec.ParseList("cpu"));
    readonly ExpertRegistry registry = new();
    readonly DataPlaneServer server;

    LoopbackExpertSilo(string modelPath)
    {
        Catalog = new ModelCatalog(modelPath, name: null, ScalarType.Float32);
        server = new DataPlaneServer(Options.Create(new RexOptions()), new ExpertBatchRunner(registry, Catalog), registry);
    }

    public ModelCatalog Catalog { get; }

    public string Address { get; private set; } = "";

    public static async Task<LoopbackExpertSilo> Start(string modelPath)
    {
        var silo = new LoopbackExpertSilo(modelPath);
        try
        {
            for (var expert = 0; expert < silo.Catalog.Directory.Config.Moe.NumExperts; expert++)
                silo.registry.Add(await HostedExpert.Load(silo.Catalog, new ExpertGrainKey(silo.Catalog.Name, Layer, expert, 0), silo.devices.Executors[0]));
            await silo.server.StartAsync(CancellationToken.None);
            silo.Address = await silo.registry.DataPlaneAddress;
            return silo;
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await server.StopAsync(CancellationToken.None);
        await server.DisposeAsync();
        foreach (var expert in registry.All) await expert.Executor.Run(expert.Glu.Dispose);
        devices.Dispose();
        Catalog.Dispose();
    }
}
