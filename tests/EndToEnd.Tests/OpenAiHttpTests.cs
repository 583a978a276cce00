using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Rex.Protos.Api;

namespace Rex.EndToEnd.Tests;

/// <summary>The OpenAI-compatible HTTP API of a real gateway process, through curl and HttpClient, checked against its gRPC API.</summary>
public sealed class OpenAiHttpTests(OpenAiGateway.Open gateway) : IClassFixture<OpenAiGateway.Open>
{
    const string FoxText = "The quick brown fox jumps over the"; // the fixture's second prompt as text (7 tokens)

    static JsonObject Hello(int maxTokens) => new()
    {
        ["model"] = "dbrx-tiny",
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hello, Rex" }),
        ["max_tokens"] = maxTokens,
        ["ignore_eos"] = true,
    };

    async Task<GenerateResponse> GrpcHello(int maxTokens) => await gateway.Client.ChatAsync(new ChatRequest
    {
        Messages = { new Protos.Api.ChatMessage { Role = "user", Content = "Hello, Rex" } },
        Sampling = new SamplingParameters { MaxTokens = maxTokens, IgnoreEos = true },
    });

    [Fact]
    public async Task ChatCompletionThroughCurlIsTheGrpcChatInOpenAisShape()
    {
        var reply = await Curl.Post($"{gateway.V1}/chat/completions", Hello(8).ToJsonString());

        Assert.Equal(200, reply.Status);
        var body = JsonNode.Parse(reply.Body)!;
        var grpc = await GrpcHello(8);
        Assert.Equal("chat.completion", (string?)body["object"]);
        Assert.StartsWith("chatcmpl-", (string?)body["id"]);
        Assert.Equal("dbrx-tiny", (string?)body["model"]);
        var choice = Assert.Single(body["choices"]!.AsArray())!;
        Assert.Equal(("assistant", grpc.Text, "length"), ((string?)choice["message"]!["role"], (string?)choice["message"]!["content"], (string?)choice["finish_reason"]));
        Assert.Null(choice["logprobs"]);
        var usage = body["usage"]!;
        Assert.Equal((grpc.Usage.PromptTokens, 8, grpc.Usage.PromptTokens + 8),
            ((int)usage["prompt_tokens"]!, (int)usage["completion_tokens"]!, (int)usage["total_tokens"]!));
        Assert.NotNull(usage["prompt_tokens_details"]!["cached_tokens"]);
    }

    [Fact]
    public async Task StreamedChatThroughCurlIsServerSentEventsOpenedByTheRoleAndEndedByDone()
    {
        var request = Hello(8);
        request["stream"] = true;
        request["stream_options"] = new JsonObject { ["include_usage"] = true };

        var reply = await Curl.Post($"{gateway.V1}/chat/completions", request.ToJsonString());

        Assert.Equal(200, reply.Status);
        var chunks = Events(reply.Body);
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string?)c["object"]));
        Assert.Single(chunks.Select(c => (string?)c["id"]).Distinct());
        Assert.Equal("assistant", (string?)chunks[0]["choices"]![0]!["delta"]!["role"]);
        var choices = chunks.Where(c => c["choices"]!.AsArray().Count == 1).Select(c => c["choices"]![0]!).ToList();
        Assert.Equal((await GrpcHello(8)).Text, string.Concat(choices.Select(c => (string?)c["delta"]!["content"])));
        Assert.Equal("length", (string?)choices[^1]["finish_reason"]);
        Assert.All(choices[..^1], c => Assert.Null(c["finish_reason"]));
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.Equal(8, (int)chunks[^1]["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task GreedyCompletionTextIsTheGrpcGenerateText()
    {
        var grpc = await gateway.Client.GenerateAsync(new GenerateRequest { Text = FoxText, Sampling = new SamplingParameters { MaxTokens = 16, IgnoreEos = true } });

        foreach (JsonNode prompt in (JsonNode[])[FoxText, new JsonArray([.. FixtureGreedy.All[1].Prompt.Select(id => JsonValue.Create(id))])])
        {
            var (status, body) = await Post("completions", new JsonObject { ["prompt"] = prompt, ["max_tokens"] = 16, ["ignore_eos"] = true, ["temperature"] = 0 });

            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("text_completion", (string?)body["object"]);
            var choice = Assert.Single(body["choices"]!.AsArray())!;
            Assert.Equal((grpc.Text, "length"), ((string?)choice["text"], (string?)choice["finish_reason"]));
            Assert.Equal((7, 16), ((int)body["usage"]!["prompt_tokens"]!, (int)body["usage"]!["completion_tokens"]!));
        }
    }

    [Fact]
    public async Task StreamedCompletionAddsUpToTheWholeOne()
    {
        var request = new JsonObject { ["prompt"] = FoxText, ["max_tokens"] = 12, ["ignore_eos"] = true };
        var (_, whole) = await Post("completions", request);
        request["stream"] = true;

        using var response = await gateway.Http.PostAsync($"{gateway.V1}/completions", Content(request));

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var chunks = Events(await response.Content.ReadAsStringAsync());
        Assert.All(chunks, c => Assert.Equal("text_completion", (string?)c["object"]));
        Assert.Equal((string?)whole["choices"]![0]!["text"], string.Concat(chunks.Select(c => (string?)c["choices"]![0]!["text"])));
        Assert.Equal("length", (string?)chunks[^1]["choices"]![0]!["finish_reason"]);
        Assert.All(chunks, c => Assert.Null(c["usage"]));
    }

    [Fact]
    public async Task StopStringsCutTheTextAndFinishWithStop()
    {
        var request = new JsonObject { ["prompt"] = FoxText, ["max_tokens"] = 16, ["ignore_eos"] = true };
        var text = (string)(await Post("completions", request)).Body["choices"]![0]!["text"]!;
        var stop = text.Substring(text.Length / 2, 3);

        foreach (JsonNode stops in (JsonNode[])[stop, new JsonArray("never in the text", stop)])
        {
            request["stop"] = stops.DeepClone();
            var choice = (await Post("completions", request)).Body["choices"]![0]!;

            Assert.Equal((text[..text.IndexOf(stop, StringComparison.Ordinal)], "stop"), ((string?)choice["text"], (string?)choice["finish_reason"]));
        }
    }

    [Fact]
    public async Task LogprobsComeInTheCompletionAndTheChatShapes()
    {
        var (_, completion) = await Post("completions", new JsonObject { ["prompt"] = FoxText, ["max_tokens"] = 4, ["ignore_eos"] = true, ["logprobs"] = 2 });
        var legacy = completion["choices"]![0]!["logprobs"]!;
        Assert.Equal(4, legacy["tokens"]!.AsArray().Count);
        Assert.Equal((string?)completion["choices"]![0]!["text"], string.Concat(legacy["tokens"]!.AsArray().Select(t => (string?)t)));
        Assert.All(legacy["token_logprobs"]!.AsArray(), l => Assert.True((float)l! <= 0));
        Assert.All(legacy["top_logprobs"]!.AsArray(), top => Assert.InRange(top!.AsObject().Count, 1, 2));
        Assert.Equal(0, (int)legacy["text_offset"]![0]!);

        var request = Hello(4);
        request["logprobs"] = true;
        request["top_logprobs"] = 2;
        var (_, chat) = await Post("chat/completions", request);
        var content = chat["choices"]![0]!["logprobs"]!["content"]!.AsArray();
        Assert.Equal(4, content.Count);
        Assert.All(content, token =>
        {
            Assert.Equal((string?)token!["token"], Encoding.UTF8.GetString([.. token["bytes"]!.AsArray().Select(b => (byte)b!)]));
            Assert.Equal(2, token["top_logprobs"]!.AsArray().Count);
        });
    }

    [Fact]
    public async Task AnUnknownPathUnderV1IsA404InOpenAisShape()
    {
        using var response = await gateway.Http.GetAsync($"{gateway.V1}/embeddings");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(("not_found", "GET /v1/embeddings is not an endpoint of this API"), ((string?)error["code"], (string?)error["message"]));
    }

    [Fact]
    public async Task ModelsListsTheServedModel()
    {
        var models = JsonNode.Parse(await gateway.Http.GetStringAsync($"{gateway.V1}/models"))!;

        Assert.Equal("list", (string?)models["object"]);
        var model = Assert.Single(models["data"]!.AsArray())!;
        Assert.Equal(("dbrx-tiny", "model", "rex", 2048),
            ((string?)model["id"], (string?)model["object"], (string?)model["owned_by"], (int)model["max_model_len"]!));
    }

    [Fact]
    public async Task AModelIsRetrievedByItsIdAsTheListShowsIt()
    {
        var listed = JsonNode.Parse(await gateway.Http.GetStringAsync($"{gateway.V1}/models"))!["data"]![0]!;

        var model = JsonNode.Parse(await gateway.Http.GetStringAsync($"{gateway.V1}/models/dbrx-tiny"))!;

        Assert.Equal(listed.ToJsonString(), model.ToJsonString());
        foreach (var unknown in (string[])["gpt-4", "org/dbrx-tiny"])
        {
            using var response = await gateway.Http.GetAsync($"{gateway.V1}/models/{unknown}");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal(("model_not_found", "model", $"model: '{unknown}' is not served here (this gateway serves 'dbrx-tiny')"),
                ((string?)error["code"], (string?)error["param"], (string?)error["message"]));
        }
    }

    [Fact]
    public async Task FieldsOpenAisClientsSendWithValuesThisServerHonoursChangeNothing()
    {
        var plain = Hello(6);
        plain["messages"]!.AsArray().Insert(0, new JsonObject { ["role"] = "assistant", ["content"] = "Hi" });
        var (_, expected) = await Post("chat/completions", plain);
        var request = plain.DeepClone().AsObject();
        request["messages"]![0]!["refusal"] = null;
        request["messages"]![0]!["tool_calls"] = new JsonArray();
        request["messages"]![1]!["name"] = "ada";
        request["response_format"] = new JsonObject { ["type"] = "text" };
        request["logit_bias"] = new JsonObject();
        request["user"] = "user-1";
        request["metadata"] = new JsonObject { ["purpose"] = "test" };
        request["store"] = false;
        request["parallel_tool_calls"] = true;
        request["service_tier"] = "auto";
        request["tools"] = new JsonArray();
        request["tool_choice"] = "none";
        request["functions"] = new JsonArray();
        request["function_call"] = "auto";
        request["modalities"] = new JsonArray("text");
        request["prediction"] = new JsonObject { ["type"] = "content", ["content"] = "Hello" };
        request["reasoning_effort"] = "low";
        request["verbosity"] = "low";
        request["prompt_cache_key"] = "k";
        request["prompt_cache_retention"] = "in_memory";
        request["safety_identifier"] = "s";

        var (status, body) = await Post("chat/completions", request);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((string?)expected["choices"]![0]!["message"]!["content"], (string?)body["choices"]![0]!["message"]!["content"]);
        var completion = new JsonObject
        {
            ["prompt"] = FoxText, ["max_tokens"] = 4, ["echo"] = false, ["best_of"] = 1, ["suffix"] = "", ["user"] = "u", ["logit_bias"] = new JsonObject(),
            ["stream"] = true, ["stream_options"] = new JsonObject { ["include_usage"] = true, ["include_obfuscation"] = false },
        };
        using var streamed = await gateway.Http.PostAsync($"{gateway.V1}/completions", Content(completion));
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.NotNull(Events(await streamed.Content.ReadAsStringAsync())[^1]["usage"]);
    }

    [Fact]
    public async Task LogitBiasOnACompletionForcesItsTokenAsOverGrpc()
    {
        const int Fox = 39935; // " fox"
        var request = new JsonObject { ["prompt"] = FoxText, ["max_tokens"] = 3, ["logit_bias"] = new JsonObject { [$"{Fox}"] = 100 } };

        var (_, body) = await Post("completions", request);

        var grpc = await gateway.Client.GenerateAsync(new GenerateRequest
        {
            Text = FoxText,
            Sampling = new SamplingParameters { MaxTokens = 3, LogitBias = { [Fox] = 100 } },
        });
        Assert.Equal([Fox, Fox, Fox], grpc.TokenIds);
        Assert.Equal((" fox fox fox", " fox fox fox"), ((string?)body["choices"]![0]!["text"], grpc.Text));
    }

    public static TheoryData<string, string, int, string?, string> BadRequests => new()
    {
        { "completions", """{"prompt": ""}""", 400, "prompt", "prompt must not be empty" },
        { "completions", """{"prompt": [1, 2, 3], "max_tokens": 2046}""", 400, "max_tokens", "is 2049, more than max_model_len (2048)" },
        { "completions", """{"prompt": "hi", "temperature": -1}""", 400, "temperature", "temperature must be a finite number >= 0" },
        { "completions", """{"prompt": "hi", "top_p": 0}""", 400, "top_p", "top_p must be in (0, 1]" },
        { "completions", """{"prompt": "hi", "top_k": -2}""", 400, "top_k", "top_k must be -1, 0" },
        { "completions", """{"prompt": "hi", "presence_penalty": 3}""", 400, "presence_penalty", "presence_penalty must be in [-2, 2]" },
        { "completions", """{"prompt": "hi", "logprobs": 50}""", 400, "logprobs", "logprobs must be in [0, 20]" },
        { "completions", """{"prompt": "hi", "n": 2}""", 400, "n", "n must be 1" },
        { "completions", """{"prompt": "hi", "model": "gpt-4"}""", 404, "model", "model: 'gpt-4' is not served here" },
        { "completions", $$"""{"prompt": "hi", "model": "{{new string('m', 100)}}"}""", 404, "model", $"model: '{new string('m', 64)}...' (100 characters) is not served here" },
        { "completions", """{"prompt": "hi \ud800"}""", 400, "prompt", "prompt is not valid UTF-8 text" },
        { "completions", """{"prompt": "hi", "stop": ["\udfff\ud800"]}""", 400, "stop", "stop is not valid UTF-8 text" },
        { "completions", """{"prompt": "hi",""", 400, null, "the body is not a valid JSON object" },
        { "completions", """{"prompt": "hi", "temperature": "hot"}""", 400, "temperature", "temperature has a value of the wrong type" },
        { "completions", """{"prompt": "hi", "max_token": 5}""", 400, "max_token", "max_token is not a field this endpoint knows" },
        { "completions", """{"prompt": "hi", "echo": true}""", 400, "echo", "echo is not supported" },
        { "completions", """{"prompt": "hi", "best_of": 2}""", 400, "best_of", "best_of must be 1" },
        { "completions", """{"prompt": "hi", "suffix": "end"}""", 400, "suffix", "suffix is not supported" },
        { "completions", """{"prompt": "hi", "logit_bias": {"fox": 5}}""", 400, "logit_bias", "logit_bias keys must be token ids, got 'fox'" },
        { "completions", """{"prompt": "hi", "logit_bias": {"100352": 5}}""", 400, "logit_bias", "logit_bias holds token id 100352, outside the vocabulary [0, 100352)" },
        { "completions", """{"prompt": "hi", "logit_bias": {"5": -100.5}}""", 400, "logit_bias", "logit_bias values must be in [-100, 100], got -100.5 for token 5" },
        { "completions", """{"prompt": "hi", "logit_bias": {"5": "high"}}""", 400, "logit_bias.5", "logit_bias.5 has a value of the wrong type" },
        { "completions", """{"prompt": ["one", "two"]}""", 400, "prompt", "prompt holds 2 prompts" },
        { "completions", """{"prompt": "hi", "stop": [1]}""", 400, "stop", "stop must be a string or an array of strings" },
        { "completions", """{"prompt": "hi", "stream": true, "top_p": 2}""", 400, "top_p", "top_p must be in (0, 1]" },
        { "chat/completions", """{"model": "dbrx-tiny"}""", 400, "messages", "messages is required" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "\ud800"}]}""", 400, "messages[0].content", "messages[0].content is not valid UTF-8 text" },
        { "chat/completions", """{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}""", 400, "messages[0].content", "messages[0].content[0] has type 'image_url'" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "logprobs": true, "top_logprobs": 30}""", 400, "top_logprobs", "must be in [0, 20]" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 5000}""", 400, "max_tokens", "more than max_model_len (2048)" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "stream": true, "n": 3}""", 400, "n", "n must be 1" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi", "nmae": "ada"}]}""", 400, "messages[0].nmae", "messages[0].nmae is not a field this endpoint knows" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_object"}}""", 400, "response_format", "response_format of type 'json_object' is not supported" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}}""", 400, "response_format", "response_format of type 'json_schema' is not supported" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f"}}]}""", 400, "tools", "tools are not supported" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "tool_choice": "required"}""", 400, "tool_choice", "tool_choice other than 'none' or 'auto' is not supported" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "tool_choice": {"type": "function", "function": {"name": "f"}}}""", 400, "tool_choice", "tool_choice other than 'none' or 'auto' is not supported" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "functions": [{"name": "f"}]}""", 400, "functions", "functions are not supported" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "function_call": {"name": "f"}}""", 400, "function_call", "function_call other than 'none' or 'auto' is not supported" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "modalities": ["text", "audio"]}""", 400, "modalities", "modalities other than 'text' are not supported" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "audio": {"voice": "alloy", "format": "wav"}}""", 400, "audio", "audio is not supported" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "web_search_options": {}}""", 400, "web_search_options", "web_search_options is not supported" },
        { "chat/completions", """{"messages": [{"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}]}""", 400, "messages[0].tool_calls", "messages[0].tool_calls are not supported" },
        { "chat/completions", """{"messages": [{"role": "tool", "content": "sunny", "tool_call_id": "c"}]}""", 400, "messages[0].tool_call_id", "messages[0].tool_call_id is not supported" },
        { "chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "logit_bias": {"-1": 1}}""", 400, "logit_bias", "logit_bias holds token id -1, outside the vocabulary" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequestsAreOpenAiErrorsNamingTheFieldAndTheServerKeepsServing(string path, string json, int status, string? param, string message)
    {
        using var response = await gateway.Http.PostAsync($"{gateway.V1}/{path}", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(status, (int)response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Contains(message, (string?)error["message"]);
        Assert.Equal(param, (string?)error["param"]);
        if (param is not null) Assert.Contains(param, (string?)error["message"]);
        Assert.Equal(status == 404 ? "model_not_found" : null, (string?)error["code"]);
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        Assert.Equal(HttpStatusCode.OK, (await Post("completions", new JsonObject { ["prompt"] = "hi", ["max_tokens"] = 2 })).Status);
    }

    [Theory]
    [InlineData("text/plain", 415, "Content-Type 'text/plain' is not supported")]
    [InlineData("application/x-www-form-urlencoded", 415, "send the body as application/json")]
    [InlineData("application/json; charset=utf-16", 415, "charset 'utf-16' is not supported")]
    [InlineData("application/json; charset=UTF-8", 200, null)]
    [InlineData(null, 200, null)]
    public async Task BodiesDeclaredAsAnythingButJsonInUtf8Are415(string? contentType, int status, string? message)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"prompt": "hi", "max_tokens": 2}"""));
        if (contentType is not null) content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        using var response = await gateway.Http.PostAsync($"{gateway.V1}/completions", content);

        Assert.Equal(status, (int)response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if (message is null) Assert.Equal("text_completion", (string?)body["object"]);
        else Assert.Contains(message, (string?)body["error"]!["message"]);
    }

    [Fact]
    public async Task ConcurrentBadRequestsLeaveTheGoodOnesAlone()
    {
        var request = new JsonObject { ["prompt"] = FoxText, ["max_tokens"] = 8, ["ignore_eos"] = true };
        var expected = (string?)(await Post("completions", request)).Body["choices"]![0]!["text"];
        var bad = new JsonObject { ["prompt"] = FoxText, ["temperature"] = -1 };

        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Post("completions", i % 2 == 0 ? request : bad)));

        for (var i = 0; i < replies.Length; i++)
        {
            if (i % 2 == 0) Assert.Equal((HttpStatusCode.OK, expected), (replies[i].Status, (string?)replies[i].Body["choices"]![0]!["text"]));
            else Assert.Equal(HttpStatusCode.BadRequest, replies[i].Status);
        }
    }

    [Fact]
    public async Task BodiesOverSixteenMebibytesAre413()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{gateway.V1}/completions")
        {
            Content = Content(new JsonObject { ["prompt"] = new string('a', 17 << 20) }),
        };
        // As curl does for large bodies: the server refuses before the body is sent, rather than closing the connection under it.
        request.Headers.ExpectContinue = true;

        using var response = await gateway.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AClientThatLeavesCancelsItsGeneration(bool stream)
    {
        // 2000 tokens take the tiny model over ten seconds on a CPU; a cancelled request leaves the schedule at once.
        var request = new JsonObject { ["prompt"] = "hi", ["max_tokens"] = 2000, ["ignore_eos"] = true, ["stream"] = stream };
        // No draining of an unread response body on dispose: the connection closes at once, as a client that dies.
        using var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 });
        using var leave = new CancellationTokenSource();
        var sent = http.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"{gateway.V1}/completions") { Content = Content(request) },
            HttpCompletionOption.ResponseHeadersRead, leave.Token);
        await WaitForScheduler(s => s.NumRunning == 1);
        if (stream)
        {
            using var response = await sent;
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync());
        }
        else
        {
            leave.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sent);
        }

        await WaitForScheduler(s => s.NumRunning == 0 && s.NumWaiting == 0);
    }

    async Task WaitForScheduler(Func<SchedulerCounters, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition((await gateway.Client.GetClusterStatusAsync()).Scheduler))
        {
            Assert.True(DateTime.UtcNow < deadline, "the scheduler did not get there within 5 s");
            await Task.Delay(50);
        }
    }

    async Task<(HttpStatusCode Status, JsonNode Body)> Post(string path, JsonObject request)
    {
        using var response = await gateway.Http.PostAsync($"{gateway.V1}/{path}", Content(request));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    static StringContent Content(JsonObject request) => new(request.ToJsonString(), Encoding.UTF8, "application/json");

    /// <summary>The JSON events of a server-sent event stream, checked to be `data: ...` blocks ended by `data: [DONE]`.</summary>
    static List<JsonNode> Events(string stream)
    {
        var blocks = stream.Split("\n\n");
        Assert.Equal(("data: [DONE]", ""), (blocks[^2], blocks[^1]));
        Assert.All(blocks[..^2], b => Assert.StartsWith("data: {", b));
        return [.. blocks[..^2].Select(b => JsonNode.Parse(b["data: ".Length..])!)];
    }
}
