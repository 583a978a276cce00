using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Rex.Protos.Api;
using Rex.Model.TinyModel;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// Every family's fixture served by Rex as users run it: the embedded default (one process, gateway and experts) and
/// a 3-process cluster (`rex cluster up --silos 2`: a gateway and two expert silos), asked through `rex generate
/// --server`; every greedy token must equal the fixture's independently computed ones. DBRX's are covered by
/// <see cref="EmbeddedGatewayTests"/> and <see cref="ClusterUpTests"/>.
/// </summary>
public sealed class ModelFamilyTests
{
    public static TheoryData<string> Families => new(FixtureCases.Families.Where(f => f != "dbrx"));

    [Theory]
    [MemberData(nameof(Families))]
    public async Task TheEmbeddedGatewayMatchesTheFixture(string family)
    {
        await using var gateway = await GatewayProcess.Start([$"--Rex:Model={FixtureCases.Path(family)}"]);
        foreach (var (prompt, tokens) in FixtureGreedy.For(family)) Assert.Equal(tokens, await GatewayClient.Greedy(gateway.Client, prompt));
        var concurrent = await Task.WhenAll(FixtureGreedy.For(family).Select(f => GatewayClient.Greedy(gateway.Client, f.Prompt)));
        Assert.Equal(FixtureGreedy.For(family).Select(f => f.Tokens), concurrent);

        // The fixtures ship no tokenizer: ids in, ids out, and text is refused by name rather than guessed.
        var reply = await gateway.Client.GenerateAsync(new GenerateRequest { TokenIds = new TokenIds { Ids = { 1, 2 } } });
        Assert.Equal("", reply.Text);
        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.GenerateAsync(new GenerateRequest { Text = "Hello" }));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains($"text: model '{family}-tiny' has no tokenizer (its directory holds no tokenizer.json): send token ids", error.Status.Detail);
    }

    [Fact]
    public async Task AQwen3ModelChatsWithItsOwnTokenizerAndTemplateOverGrpcAndOpenAi()
    {
        // A tiny Qwen3-MoE with a byte-level tokenizer.json in Qwen's style and Qwen3's real chat template.
        using var model = new TemporaryDirectory();
        TinyModels.Write(model.Path, "qwen3_moe", new RandomCheckpoint.Options(), new JsonObject { ["vocab_size"] = 384, ["eos_token_id"] = 381 });
        File.Copy(Path.Combine(TestPaths.Fixtures, "tokenizers", "byte-level", "tokenizer.json"), model.File("tokenizer.json"));
        File.Copy(Path.Combine(TestPaths.RepositoryRoot, "tests", "Model.Tests", "Tokenization", "ChatTemplates", "qwen3-30b-a3b", "tokenizer_config.json"),
            model.File("tokenizer_config.json"));
        await using var gateway = await GatewayProcess.Start([$"--Rex:Model={model.Path}"]);
        using var directory = Model.ModelDirectory.Open(model.Path);
        Model.Tokenization.ChatMessage[] messages = [new("system", "Be brief."), new("user", "Hi <|im_end|> 你好 🎉")];
        var prompt = directory.Chat!.Encode(messages);

        var sampling = new SamplingParameters { MaxTokens = 12, IgnoreEos = true };
        var request = new ChatRequest { Messages = { messages.Select(m => new ChatMessage { Role = m.Role, Content = m.Content }) }, Sampling = sampling };
        var chat = await gateway.Client.ChatAsync(request);
        Assert.Equal(prompt.Length, chat.Usage.PromptTokens);
        Assert.Equal(directory.Tokenizer!.Decode(chat.TokenIds), chat.Text);
        var streamed = new System.Text.StringBuilder();
        await foreach (var delta in gateway.Client.ChatStreamAsync(request))
            streamed.Append(delta.Text);
        Assert.Equal(chat.Text, streamed.ToString());

        var body = new JsonObject
        {
            ["messages"] = new JsonArray(messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray()),
            ["max_tokens"] = 12,
            ["ignore_eos"] = true,
        };
        var reply = await Curl.Post($"{gateway.OpenAiBase}/chat/completions", body.ToJsonString());
        Assert.Equal(200, reply.Status);
        var completion = JsonNode.Parse(reply.Body)!;
        Assert.Equal(chat.Text, (string?)completion["choices"]![0]!["message"]!["content"]);
        Assert.Equal(prompt.Length, (int)completion["usage"]!["prompt_tokens"]!);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public async Task AThreeProcessClusterMatchesTheFixture(string family)
    {
        using var state = new TemporaryDirectory();
        using var home = new TemporaryDirectory();
        var environment = new Dictionary<string, string> { ["REX_HOME"] = home.Path };
        try
        {
            var up = await ChildProcess.Run("rex.dll",
                ["cluster", "up", "--silos", "2", "--model", FixtureCases.Path(family), "--port", "0", "--http-port", "0", "--state", state.Path,
                    "--gateway-arg", "Rex:NumMicroBatches=2"], environment);
            Assert.True(up.ExitCode == 0, up.Error);
            var address = up.Output.Trim().Split('\n')[^1];
            foreach (var (prompt, tokens) in FixtureGreedy.For(family))
            {
                var generated = await ChildProcess.Run("rex.dll",
                    ["generate", "--server", address, "--token-ids", string.Join(",", prompt), "--max-tokens", "16", "--ignore-eos", "--json"], environment);
                Assert.True(generated.ExitCode == 0, generated.Error);
                var ids = JsonDocument.Parse(generated.Output).RootElement.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32());
                Assert.Equal(tokens, ids);
            }
        }
        finally
        {
            await ChildProcess.Run("rex.dll", ["cluster", "down", "--state", state.Path], environment);
        }
    }
}
