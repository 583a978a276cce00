using System.Text.Json;
using Rex.Tests;

namespace Rex.Cli.Tests;

/// <summary>The built `rex` as a real child process, with the built-in model written on first use.</summary>
public sealed class RexProcessTests
{
    [Fact]
    public async Task GenerateWithoutAModelWritesAndUsesTheBuiltInModel()
    {
        using var home = new TemporaryDirectory();
        var environment = new Dictionary<string, string> { ["REX_HOME"] = home.Path };
        var outcome = await CliRunner.ChildProcess(environment, "generate", "--prompt", "Hello, Rex", "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        using var json = JsonDocument.Parse(outcome.Output);
        Assert.Equal(16, json.RootElement.GetProperty("token_ids").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(home.Path, "models", "dbrx-tiny-v1", "model.safetensors")));

        var again = await CliRunner.ChildProcess(environment, "generate", "--prompt", "Hello, Rex", "--json");
        Assert.Equal(outcome.Output, again.Output);
    }

    [Fact]
    public async Task ErrorsGoToStderrWithAFailingExitCode()
    {
        var outcome = await CliRunner.ChildProcess(new Dictionary<string, string>(), "logits", "--model", TestPaths.DbrxTiny, "--token-ids", "abc");
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("error: --token-ids: 'abc' is not a token id", outcome.Error);
        Assert.Empty(outcome.Output);
    }
}
