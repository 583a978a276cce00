using System.Text.Json;
using Rex.Tests;

namespace Rex.Cli.Tests.Commands;

public sealed class ModelCommandTests
{
    [Fact]
    public void InitTinyWritesAModelTheOtherCommandsRun()
    {
        using var directory = new TemporaryDirectory();
        var target = Path.Combine(directory.Path, "tiny");
        var init = CliRunner.InProcess("model", "init-tiny", "--out", target);
        Assert.Equal(0, init.ExitCode);
        Assert.Equal(target, init.Output.Trim());
        Assert.True(File.Exists(Path.Combine(target, "model.safetensors")));

        var generated = CliRunner.InProcess("generate", "--model", target, "--prompt", "Hello", "--max-tokens", "5", "--json");
        using var json = JsonDocument.Parse(generated.Output);
        Assert.Equal(5, json.RootElement.GetProperty("token_ids").GetArrayLength());
    }
}
