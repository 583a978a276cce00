using Grpc.Core;
using Rex.Protos.Api;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>`dotnet run --project src/Gateway`'s program as a real process: the whole cluster in one process.</summary>
public sealed class EmbeddedGatewayTests(FixtureModelGateway gateway) : IClassFixture<FixtureModelGateway>
{
    [Fact]
    public async Task WithoutSettingsItServesTheBuiltInModelFromOneSiloWithBothRoles()
    {
        await using var builtIn = await GatewayProcess.Start([]);
        Assert.Equal(16, (await GatewayClient.Greedy(builtIn.Client, [9906, 11, 1917])).Length);
        var status = await builtIn.Client.GetClusterStatusAsync();
        Assert.Equal("dbrx-tiny-v1", status.Model);
        var silo = Assert.Single(status.Silos);
        Assert.Equal(["gateway", "expert"], silo.Roles);
        Assert.Equal(32, silo.Experts.Count);
        Assert.True(File.Exists(Path.Combine(builtIn.Home, "models", "dbrx-tiny-v1", "model.safetensors")));
        // A start prints no warning: Orleans' watchdog reported the machine's uptime as a stall at every start.
        Assert.DoesNotContain("warn:", builtIn.Output + builtIn.Error);
    }

    [Fact]
    public async Task APortAnotherProcessHoldsIsOneLineNamingTheHolderAndTheSetting()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        var gateway = await ChildProcess.Run("Rex.Gateway.dll", ["--Rex:Port=0", $"--Rex:HttpPort={port}"]);
        Assert.Equal(1, gateway.ExitCode);
        var line = Assert.Single(gateway.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: port {port} on 127.0.0.1 is in use by pid {Environment.ProcessId} (", line);
        Assert.EndsWith("stop it, or set Rex:HttpPort to another port (--Rex:HttpPort=N; 0 picks a free one)", line.TrimEnd());
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
        { "logit_bias", "logit_bias holds token id 100352, outside the vocabulary [0, 100352)" },
        { "logit_bias value", "logit_bias values must be in [-100, 100], got 150 for token 5" },
        { "empty", "prompt must not be empty" },
        { "no prompt", "prompt: give text or token_ids" },
        { "token id", "prompt holds token id 100352, outside the vocabulary [0, 100352)" },
        { "temperature", "temperature must be a finite number >= 0" },
        { "top_p", "top_p must be in (0, 1]" },
        { "max_tokens", "max_tokens must be at least 1" },
        { "too long", "prompt has 2049 tokens, more than max_model_len (2048)" },
        { "prompt + max_tokens", "max_tokens: prompt (3 tokens) plus max_tokens (2046) is 2049, more than max_model_len (2048)" },
        { "top_k", "top_k must be -1, 0 (both: no limit) or a positive count" },
        { "presence_penalty", "presence_penalty must be in [-2, 2]" },
        { "frequency_penalty", "frequency_penalty must be in [-2, 2]" },
        { "logprobs", "logprobs must be in [0, 20] (max_logprobs)" },
        { "stop", "stop must not hold empty strings" },
        { "stop_token_ids", "stop_token_ids holds -1, outside the vocabulary" },
        { "text chars", "text has 1048577 characters, more than MaxPromptChars (1048576)" },
    };

    [Fact]
    public async Task AModelThisGatewayDoesNotServeIsNotFound()
    {
        var request = new GenerateRequest { Model = "gpt-4", TokenIds = new TokenIds { Ids = { 1, 2, 3 } } };

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.GenerateAsync(request));

        Assert.Equal((StatusCode.NotFound, "model: 'gpt-4' is not served here (this gateway serves 'dbrx-tiny')"), (error.StatusCode, error.Status.Detail));
    }

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
            case "logit_bias": request.Sampling.LogitBias[100352] = 1; break;
            case "logit_bias value": request.Sampling.LogitBias[5] = 150; break;
            case "too long": request.TokenIds.Ids.AddRange(Enumerable.Repeat(5, 2046)); break;
            case "prompt + max_tokens": request.Sampling.MaxTokens = 2046; break;
            case "top_k": request.Sampling.TopK = -2; break;
            case "presence_penalty": request.Sampling.PresencePenalty = 3; break;
            case "frequency_penalty": request.Sampling.FrequencyPenalty = -2.5; break;
            case "logprobs": request.Sampling.Logprobs = 50; break;
            case "stop": request.Sampling.Stop.Add(""); break;
            case "stop_token_ids": request.Sampling.StopTokenIds.Add(-1); break;
            case "text chars": request.Text = new string('a', (1 << 20) + 1); break;
        }
        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.GenerateAsync(request));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(message, error.Status.Detail);
        Assert.Equal(FixtureGreedy.All[0].Tokens, await GatewayClient.Greedy(gateway.Client, FixtureGreedy.All[0].Prompt));
    }
}
