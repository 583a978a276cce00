using Rex.Tests;

namespace Rex.Cli.Tests.Commands;

/// <summary>`rex model download` against a Hub in this process (<see cref="FakeHub"/>) that serves tests/fixtures/dbrx-tiny.</summary>
public sealed class ModelDownloadCommandTests
{
    const string Repo = "rex-tests/dbrx-tiny";
    const string Token = "hf_test_token";

    // A repository's files Rex does not read: the client must not even ask for them.
    static readonly string[] NotNeeded = ["pytorch_model.bin", "consolidated.pt", "dbrx-tiny.Q4_K_M.gguf", "logo.png", "original/model.safetensors"];

    [Fact]
    public async Task DownloadsWhatRexReadsAndTheDirectoryServesTheSameLogits()
    {
        await using var hub = await FakeHub.Start(Repo, TestPaths.DbrxTiny, Token, NotNeeded);
        using var scratch = new TemporaryDirectory();
        var target = scratch.File("models/dbrx-tiny");

        var outcome = CliRunner.InProcess("model", "download", Repo, "--dir", target, "--endpoint", hub.Endpoint, "--token", Token);

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        Assert.Equal(target, outcome.Output.Trim());
        // expected.json is the fixture's own test data, no model file: listed, not fetched.
        string[] needed = ["config.json", "generation_config.json", "model.safetensors", "tokenizer_config.json"];
        Assert.Equal(needed, hub.FileRequests.Order());
        Assert.Equal(needed, Directory.GetFiles(target).Select(Path.GetFileName).Order());
        foreach (var file in needed) Assert.Equal(File.ReadAllBytes(Path.Combine(TestPaths.DbrxTiny, file)), File.ReadAllBytes(Path.Combine(target, file)));
        var logits = new[] { TestPaths.DbrxTiny, target }.Select(model => CliRunner.InProcess("logits", "--model", model, "--token-ids", "1,2,3")).ToArray();
        Assert.Equal(0, logits[1].ExitCode);
        Assert.Equal(logits[0].Output, logits[1].Output);
    }

    [Fact]
    public async Task ASecondRunKeepsCompleteFilesAndFetchesACutOneAgain()
    {
        await using var hub = await FakeHub.Start(Repo, TestPaths.DbrxTiny);
        using var scratch = new TemporaryDirectory();
        var target = scratch.File("dbrx-tiny");
        Assert.Equal(0, CliRunner.InProcess("model", "download", Repo, "--dir", target, "--endpoint", hub.Endpoint).ExitCode);
        var weights = Path.Combine(target, "model.safetensors");
        using (var cut = new FileStream(weights, FileMode.Open)) cut.SetLength(cut.Length / 2);
        var config = Path.Combine(target, "config.json");
        var configWritten = File.GetLastWriteTimeUtc(config);

        var again = CliRunner.InProcess("model", "download", Repo, "--dir", target, "--endpoint", hub.Endpoint);

        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Contains("config.json: complete", again.Error);
        Assert.DoesNotContain("model.safetensors: complete", again.Error);
        Assert.Equal(configWritten, File.GetLastWriteTimeUtc(config));
        Assert.Equal(File.ReadAllBytes(Path.Combine(TestPaths.DbrxTiny, "model.safetensors")), File.ReadAllBytes(weights));
        Assert.Empty(Directory.GetFiles(target, "*.incomplete"));
    }

    [Fact]
    public async Task AMissingTokenIsOneLineSayingSo()
    {
        await using var hub = await FakeHub.Start(Repo, TestPaths.DbrxTiny, Token);
        using var scratch = new TemporaryDirectory();

        var outcome = CliRunner.InProcess("model", "download", Repo, "--dir", scratch.File("m"), "--endpoint", hub.Endpoint);

        Assert.Equal(1, outcome.ExitCode);
        var line = Assert.Single(outcome.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: model repository '{Repo}' (revision main) at {hub.Endpoint} needs a token (HTTP 401): pass --token or set HF_TOKEN", line);
        Assert.False(Directory.Exists(scratch.File("m")), "nothing written");
    }

    [Fact]
    public async Task AnUnknownRepositoryIsOneLineNamingItAndTheEndpoint()
    {
        await using var hub = await FakeHub.Start(Repo, TestPaths.DbrxTiny);
        using var scratch = new TemporaryDirectory();

        var outcome = CliRunner.InProcess("model", "download", "rex-tests/no-such-model", "--dir", scratch.File("m"), "--endpoint", hub.Endpoint);

        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal($"error: model repository 'rex-tests/no-such-model' (revision main) not found at {hub.Endpoint} (HTTP 404)", outcome.Error.Trim());
    }
}
