using System.CommandLine;
using Rex.Tests;

namespace Rex.Cli.Tests;

/// <summary>Every command that calls a server takes the gateway's API key, from --api-key or REX_API_KEY.</summary>
public sealed class ApiKeyOptionTests
{
    const string Key = "cli-key-7c2d";

    [Fact]
    public void EveryCommandWithAServerTakesAnApiKey()
    {
        static IEnumerable<Command> All(Command command) => command.Subcommands.SelectMany(All).Prepend(command);
        var servers = All(RexCommand.Create()).Where(c => c.Options.Any(o => o.Name == UnreachableServer.ServerOption)).ToArray();
        Assert.Equal(["generate", "chat", "bench", "status"], servers.Select(c => c.Name));
        Assert.All(servers, c => Assert.Contains(c.Options, o => o.Name == ApiKeyOption.Name));
    }

    [Fact]
    public async Task AKeyedGatewayServesEveryServerCommandGivenTheKeyAndRefusesItWithout()
    {
        await using var gateway = await GatewayProcess.Start(GatewayProcess.FixtureModel, apiKey: Key);
        string[][] commands =
        [
            ["generate", "--server", gateway.Address, "--token-ids", "1,2,3", "--max-tokens", "2", "--json"],
            ["chat", "--server", gateway.Address, "--max-tokens", "2"],
            ["cluster", "status", "--server", gateway.Address, "--json"],
            ["bench", "--server", gateway.Address, "--requests", "1", "--input-len", "2", "--output-len", "2", "--warmup-seconds", "0", "--json"],
        ];
        foreach (var command in commands)
        {
            var byVariable = await ChildProcess.Run("rex.dll", command, new Dictionary<string, string> { [ApiKeyOption.Variable] = Key }, input: "Hello\n");
            Assert.True(byVariable.ExitCode == 0, $"{command[0]}: {byVariable.Error}");
            var byOption = await ChildProcess.Run("rex.dll", [.. command, ApiKeyOption.Name, Key], input: "Hello\n");
            Assert.True(byOption.ExitCode == 0, $"{command[0]}: {byOption.Error}");
            var without = await ChildProcess.Run("rex.dll", command, input: "Hello\n");
            Assert.Equal(1, without.ExitCode);
            Assert.StartsWith("error: Unauthenticated", without.Error);
            Assert.Contains(ApiKeyOption.Variable, without.Error);
        }
    }
}
