using System.Text.RegularExpressions;
using Grpc.Core;
using Rex.Client;
using Rex.Protos.Api;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>`dotnet run --project src/Gateway`'s program as a real process: the whole cluster in one process.</summary>
public sealed partial class EmbeddedGatewayTests(EmbeddedGatewayTests.FixtureGateway gateway) : IClassFixture<EmbeddedGatewayTests.FixtureGateway>
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>One gateway process serving the fixture model, shared by the tests of this class.</summary>
    public sealed class FixtureGateway : IAsyncLifetime
    {
        readonly TemporaryDirectory home = new();
        ChildProcess? process;

        public RexClient Client { get; private set; } = null!;

        public async Task InitializeAsync() => (process, Client) = await StartGateway(home.Path, $"--Rex:Model={TestPaths.DbrxTiny}", "--Rex:ModelName=dbrx-tiny");

        public async Task DisposeAsync()
        {
            Client.Dispose();
            if (process is not null) await process.DisposeAsync();
            home.Dispose();
        }
    }

    static async Task<(ChildProcess Process, RexClient Client)> StartGateway(string home, params string[] args)
    {
        var process = ChildProcess.Start("Rex.Gateway.dll", ["--Rex:Port=0", .. args], new Dictionary<string, string> { ["REX_HOME"] = home });
        var line = process.WaitForLine("Rex gateway serving", StartTimeout);
        var client = new RexClient(Address().Match(line).Value);
        await GatewayClient.WaitUntilReady(client, StartTimeout);
        return (process, client);
    }

    [Fact]
    public async Task WithoutSettingsItServesTheBuiltInModelFromOneSiloWithBothRoles()
    {
        using var home = new TemporaryDirectory();
        var (process, client) = await StartGateway(home.Path);
        await using (process)
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
        foreach (var (prompt, tokens) in FixtureGreedy.All) Assert.Equal(tokens, await GatewayClient.Greedy(gateway.Client, prompt));
        var concurrent = await Task.WhenAll(FixtureGreedy.All.Select(f => GatewayClient.Greedy(gateway.Client, f.Prompt)));
        Assert.Equal(FixtureGreedy.All.Select(f => f.Tokens), concurrent);
    }

    [Fact]
    public async Task TextPromptsAreTokenizedAndDetokenized()
    {
        var response = await gateway.Client.GenerateAsync(new GenerateRequest
        {
            Text = "The quick brown fox jumps over the", // tokens 791 4062 14198 39935 35308 927 279: the fixture's second prompt
            Sampling = new SamplingParameters { MaxTokens = 16, IgnoreEos = true },
        });
        Assert.Equal(FixtureGreedy.All[1].Tokens, response.TokenIds);
        Assert.Equal(Model.Tokenization.DbrxTokenizer.Default.Decode(FixtureGreedy.All[1].Tokens), response.Text);
        Assert.Equal(("length", 7, 16), (response.FinishReason, response.Usage.PromptTokens, response.Usage.CompletionTokens));
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "empty", "prompt must not be empty" },
        { "no prompt", "prompt: give text or token_ids" },
        { "token id", "prompt holds token id 100352, outside the vocabulary [0, 100352)" },
        { "temperature", "temperature must be a finite number >= 0" },
        { "top_p", "top_p must be in (0, 1]" },
        { "max_tokens", "max_tokens must be at least 1" },
        { "model", "model 'gpt-4' is not served here (this gateway serves 'dbrx-tiny')" },
        { "too long", "prompt has 2049 tokens, more than max_model_len (2048)" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequestsAreInvalidArgumentNamingTheFieldAndTheServerKeepsServing(string bad, string message)
    {
        var request = new GenerateRequest { TokenIds = new TokenIds { Ids = { 1, 2, 3 } }, Sampling = new SamplingParameters() };
        switch (bad)
        {
            case "empty": request.TokenIds.Ids.Clear(); break;
            case "no prompt": request.ClearPrompt(); break;
            case "token id": request.TokenIds.Ids.Add(100352); break;
            case "temperature": request.Sampling.Temperature = -1; break;
            case "top_p": request.Sampling.TopP = 1.5; break;
            case "max_tokens": request.Sampling.MaxTokens = 0; break;
            case "model": request.Model = "gpt-4"; break;
            case "too long": request.TokenIds.Ids.AddRange(Enumerable.Repeat(5, 2046)); break;
        }
        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.GenerateAsync(request));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(message, error.Status.Detail);
        Assert.Equal(FixtureGreedy.All[0].Tokens, await GatewayClient.Greedy(gateway.Client, FixtureGreedy.All[0].Prompt));
    }

    [GeneratedRegex(@"http://\S+")]
    private static partial Regex Address();
}
