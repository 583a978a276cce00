using System.Text.RegularExpressions;
using Rex.Client;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>`dotnet run --project src/Gateway`'s program as a real process: the whole cluster in one process.</summary>
public sealed partial class EmbeddedGatewayTests
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    static async Task<(ChildProcess Process, RexClient Client)> StartGateway(string home, params string[] args)
    {
        var gateway = ChildProcess.Start("Rex.Gateway.dll", ["--Rex:Port=0", .. args], new Dictionary<string, string> { ["REX_HOME"] = home });
        var line = gateway.WaitForLine("Rex gateway serving", StartTimeout);
        var client = new RexClient(Address().Match(line).Value);
        await GatewayClient.WaitUntilReady(client, StartTimeout);
        return (gateway, client);
    }

    [Fact]
    public async Task WithoutSettingsItServesTheBuiltInModelFromOneSiloWithBothRoles()
    {
        using var home = new TemporaryDirectory();
        var (gateway, client) = await StartGateway(home.Path);
        await using (gateway)
        using (client)
        {
            Assert.Equal(16, (await GatewayClient.Greedy(client, [9906, 11, 1917])).Length);
            var status = await client.GetClusterStatusAsync();
            Assert.Equal("dbrx-tiny-v1", status.Model);
            var silo = Assert.Single(status.Silos);
            Assert.Equal(["gateway", "expert"], silo.Roles);
            Assert.Equal(32, silo.Experts.Count);
            Assert.True(File.Exists(Path.Combine(home.Path, "models", "dbrx-tiny-v1", "model.safetensors")));
        }
    }

    [Fact]
    public async Task GreedyTokensEqualTheLocalEnginesForEveryFixturePrompt()
    {
        using var home = new TemporaryDirectory();
        var (gateway, client) = await StartGateway(home.Path, $"--Rex:Model={TestPaths.DbrxTiny}");
        await using (gateway)
        using (client)
        {
            foreach (var (prompt, tokens) in FixtureGreedy.All) Assert.Equal(tokens, await GatewayClient.Greedy(client, prompt));
            var concurrent = await Task.WhenAll(FixtureGreedy.All.Select(f => GatewayClient.Greedy(client, f.Prompt)));
            Assert.Equal(FixtureGreedy.All.Select(f => f.Tokens), concurrent);
        }
    }

    [GeneratedRegex(@"http://\S+")]
    private static partial Regex Address();
}
