using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using Rex.Protos.Api;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// The OpenAI-compatible HTTP API of a real gateway process through OpenAI's own .NET library, as its users call it:
/// what the library sends is accepted, what the server answers parses, and the tokens are the gRPC API's.
/// </summary>
public sealed class OpenAiLibraryTests(OpenAiGateway.Open gateway) : IClassFixture<OpenAiGateway.Open>
{
    const string FoxText = "The quick brown fox jumps over the"; // the fixture's second prompt as text (7 tokens)

    OpenAIClientOptions Options => new() { Endpoint = new Uri(gateway.V1) };

    // The gateway has no API key; the library requires one to send.
    static readonly ApiKeyCredential AnyKey = new("unused");

    ChatClient Chat(string model = "dbrx-tiny") => new(model, AnyKey, Options);

    static UserChatMessage Hello => new("Hello, Rex") { ParticipantName = "ada" };

    async Task<GenerateResponse> GrpcHello(int maxTokens, IDictionary<int, double>? logitBias = null)
    {
        var sampling = new SamplingParameters { MaxTokens = maxTokens };
        if (logitBias is not null) sampling.LogitBias.Add(logitBias);
        return await gateway.Client.ChatAsync(new ChatRequest { Messages = { new Protos.Api.ChatMessage { Role = "user", Content = "Hello, Rex" } }, Sampling = sampling });
    }

    [Fact]
    public async Task AChatCompletionWithTheFieldsTheLibrarySendsIsTheGrpcChat()
    {
        var options = new ChatCompletionOptions
        {
            MaxOutputTokenCount = 8,
            EndUserId = "user-1",
            StoredOutputEnabled = false,
            Metadata = { ["purpose"] = "test" },
            ResponseFormat = ChatResponseFormat.CreateTextFormat(),
            ToolChoice = ChatToolChoice.CreateAutoChoice(),
            AllowParallelToolCalls = true,
        };

        ChatCompletion completion = await Chat().CompleteChatAsync([Hello], options);

        var grpc = await GrpcHello(8);
        Assert.Equal(grpc.Text, Assert.Single(completion.Content).Text);
        Assert.Equal(grpc.FinishReason == "length" ? ChatFinishReason.Length : ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(("dbrx-tiny", ChatMessageRole.Assistant), (completion.Model, completion.Role));
        Assert.Equal((grpc.Usage.PromptTokens, grpc.Usage.CompletionTokens), (completion.Usage.InputTokenCount, completion.Usage.OutputTokenCount));
    }

    [Fact]
    public async Task AStreamedChatAddsUpToTheGrpcChatAndEndsWithItsUsage()
    {
        var updates = new List<StreamingChatCompletionUpdate>();
        await foreach (var update in Chat().CompleteChatStreamingAsync([Hello], new ChatCompletionOptions { MaxOutputTokenCount = 8 }))
            updates.Add(update);

        var grpc = await GrpcHello(8);
        Assert.Equal(grpc.Text, string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)));
        Assert.NotNull(Assert.Single(updates, u => u.FinishReason is not null).FinishReason);
        // The library asks for usage (stream_options.include_usage): it comes last.
        var usage = updates[^1].Usage;
        Assert.NotNull(usage);
        Assert.Equal((grpc.Usage.PromptTokens, grpc.Usage.CompletionTokens), (usage.InputTokenCount, usage.OutputTokenCount));
    }

    [Fact]
    public async Task LogitBiasForcesOrBansATokenAsOverGrpc()
    {
        var greedy = await GrpcHello(4);
        const int Fox = 39935, Jumps = 35308; // " fox" and " jumps"
        var forced = greedy.TokenIds[0] == Fox ? Jumps : Fox;

        var options = new ChatCompletionOptions { MaxOutputTokenCount = 4, LogitBiases = { [forced] = 100 } };
        ChatCompletion biased = await Chat().CompleteChatAsync([Hello], options);

        var grpc = await GrpcHello(4, new Dictionary<int, double> { [forced] = 100 });
        Assert.Equal(Enumerable.Repeat(forced, 4), grpc.TokenIds);
        Assert.Equal(grpc.Text, Assert.Single(biased.Content).Text);

        var banned = await GrpcHello(4, new Dictionary<int, double> { [greedy.TokenIds[0]] = -100 });
        Assert.NotEqual(greedy.TokenIds[0], banned.TokenIds[0]);
    }

    [Fact]
    public async Task ErrorsSurfaceAsClientResultExceptionsWithTheStatusAndMessage()
    {
        var unknown = await Assert.ThrowsAsync<ClientResultException>(() => Chat("gpt-4").CompleteChatAsync([Hello]));
        Assert.Equal(404, unknown.Status);
        Assert.Contains("model: 'gpt-4' is not served here", unknown.Message);

        var tools = new ChatCompletionOptions { Tools = { ChatTool.CreateFunctionTool("get_weather", "The weather in a city") } };
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => Chat().CompleteChatAsync([Hello], tools));
        Assert.Equal(400, refused.Status);
        Assert.Contains("tools are not supported", refused.Message);

        var bias = new ChatCompletionOptions { LogitBiases = { [0] = 101 } };
        var outOfRange = await Assert.ThrowsAsync<ClientResultException>(() => Chat().CompleteChatAsync([Hello], bias));
        Assert.Equal(400, outOfRange.Status);
        Assert.Contains("logit_bias values must be in [-100, 100], got 101", outOfRange.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACompletionThroughTheLibrarysPipelineIsTheGrpcGenerate(bool stream)
    {
        // OpenAI's .NET library has no public client for /v1/completions (2.15's LegacyCompletionClient is internal):
        // the request goes through its pipeline (endpoint, key, the error it raises), with the body written here.
        var request = new JsonObject { ["model"] = "dbrx-tiny", ["prompt"] = FoxText, ["max_tokens"] = 8, ["stream"] = stream };
        if (stream) request["stream_options"] = new JsonObject { ["include_usage"] = true };

        var response = await Send(Chat().Pipeline, "completions", request, buffer: !stream);

        var grpc = await gateway.Client.GenerateAsync(new GenerateRequest { Text = FoxText, Sampling = new SamplingParameters { MaxTokens = 8 } });
        if (!stream)
        {
            var whole = JsonNode.Parse(response.Content.ToString())!;
            Assert.Equal(grpc.Text, (string?)whole["choices"]![0]!["text"]);
            Assert.Equal(grpc.Usage.CompletionTokens, (int)whole["usage"]!["completion_tokens"]!);
            return;
        }
        var chunks = new List<JsonNode>();
        await foreach (var item in SseParser.Create(response.ContentStream!).EnumerateAsync())
            if (item.Data != "[DONE]") chunks.Add(JsonNode.Parse(item.Data)!);
        Assert.Equal(grpc.Text, string.Concat(chunks.Where(c => c["choices"]!.AsArray().Count > 0).Select(c => (string?)c["choices"]![0]!["text"])));
        Assert.Equal(grpc.Usage.CompletionTokens, (int)chunks[^1]["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task ACompletionErrorThroughTheLibrarysPipelineIsAClientResultException()
    {
        var request = new JsonObject { ["prompt"] = FoxText, ["logit_bias"] = new JsonObject { ["100352"] = 5 } };

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Send(Chat().Pipeline, "completions", request, buffer: true));

        Assert.Equal(400, error.Status);
        var body = JsonNode.Parse(error.GetRawResponse()!.Content.ToString())!["error"]!;
        Assert.Equal(("logit_bias", "logit_bias holds token id 100352, outside the vocabulary [0, 100352)"), ((string?)body["param"], (string?)body["message"]));
    }

    /// <summary>POST /v1/{path} through the library's pipeline; a status other than 200 raises its ClientResultException.</summary>
    async Task<PipelineResponse> Send(ClientPipeline pipeline, string path, JsonObject body, bool buffer)
    {
        var message = pipeline.CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = new Uri($"{gateway.V1}/{path}");
        message.Request.Headers.Set("Content-Type", "application/json");
        message.Request.Content = BinaryContent.Create(BinaryData.FromString(body.ToJsonString()));
        message.BufferResponse = buffer;
        message.ResponseClassifier = PipelineMessageClassifier.Create([200]);
        await pipeline.SendAsync(message);
        return message.Response!.IsError ? throw await ClientResultException.CreateAsync(message.Response) : message.Response;
    }
}
