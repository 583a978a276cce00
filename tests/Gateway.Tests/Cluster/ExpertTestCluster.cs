using Orleans.TestingHost;
using Rex.Gateway.Grains;
using Rex.Gateway.Hosting;
using Rex.Protos.Grains;
using Rex.Silo.Hosting;
using Rex.Tests;

namespace Rex.Gateway.Tests.Cluster;

/// <summary>
/// An Orleans in-process test cluster of real Rex silos on the fixture model: silo 0 has the gateway role (and
/// optionally the expert role), the others the expert role (the last with two logical CPU devices). Each expert silo runs its real gRPC data plane
/// on a loopback port.
/// </summary>
public sealed class ExpertTestCluster : IAsyncDisposable
{
    public const string Model = "dbrx-tiny";

    readonly InProcessTestCluster cluster;

    ExpertTestCluster(InProcessTestCluster cluster) => this.cluster = cluster;

    /// <param name="gatewayHostsExperts">Silo 0 has the expert role too (as the embedded default has): some experts
    /// live in the gateway's own process.</param>
    public static async Task<ExpertTestCluster> Start(int expertSilos, Action<GatewayOptions>? configure = null, bool gatewayHostsExperts = false)
    {
        var gateway = new GatewayOptions { MinExpertSilos = expertSilos + (gatewayHostsExperts ? 1 : 0) };
        configure?.Invoke(gateway);
        var builder = new InProcessTestClusterBuilder((short)(expertSilos + 1));
        builder.ConfigureSilo((silo, orleans) =>
        {
            var index = int.Parse(silo.SiloName.Split('_')[^1]);
            var rex = new RexOptions
            {
                Model = TestPaths.DbrxTiny,
                ModelName = Model,
                Roles = index > 0 ? SiloRoles.Expert : gatewayHostsExperts ? $"{SiloRoles.Gateway},{SiloRoles.Expert}" : SiloRoles.Gateway,
                Devices = index == expertSilos ? "cpu:0,cpu:1" : "cpu",
            };
            // Every silo can place gateway grains (a client may call any of them); only silo 0 can host one.
            orleans.AddRex(rex).AddRexGateway(gateway);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        var started = new ExpertTestCluster(cluster);
        await started.WaitUntilReady();
        return started;
    }

    public InProcessTestCluster Orleans => cluster;

    public IGatewayGrain Gateway => cluster.Client.GetGrain<IGatewayGrain>(GatewayGrain.KeyOf(Model, "test"));

    public async Task<int[]> Greedy(int[] prompt, int maxTokens = 16) =>
        (await Gateway.Generate(new GenerationInput(prompt, 0, 1, 0, null, maxTokens, [], null, IgnoreEos: true, 0, 0, null, "text_completion", ""), CancellationToken.None)).TokenIds;

    async Task WaitUntilReady()
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var status = await Gateway.Status();
            if (status.Experts.Length == status.ExpectedExperts) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("the experts were not all placed within 60 s");
    }

    public async ValueTask DisposeAsync()
    {
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }
}
