using System.Net.Http.Headers;
using System.Text;
using static Rex.EndToEnd.Tests.Fuzz.HostileValues;

namespace Rex.EndToEnd.Tests.Fuzz;

/// <summary>
/// Hostile bodies for the OpenAI-compatible API: every field given values of the wrong type and absurd numbers,
/// deep nesting, invalid UTF-8, huge strings, thousands of stop strings, oversized, truncated and mutated JSON,
/// wrong content types, methods and paths. Every answer goes through <see cref="HttpOracle"/>.
/// </summary>
public sealed class HttpFuzzer(string v1) : IDisposable
{
    const string Target = "http";
    const string Completions = "/completions";
    const string Chat = "/chat/completions";
    const string ValidCompletion = """{"model":"dbrx-tiny","prompt":"Hello, Rex","max_tokens":2}""";
    const string ValidChat = """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"stream":true,"stream_options":{"include_usage":true}}""";

    /// <summary>JSON values (and non-JSON that looks like them) no field expects all of.</summary>
    static readonly string[] Values =
    [
        "\"x\"", "\"\"", "0", "-1", "1", "2147483648", "-2147483649", "99999999999999999999999999999", "1e400", "-1e400", "-0", "1.5", "1e-400",
        "true", "false", "null", "[]", "{}", "[1,2]", "[\"a\"]", "{\"a\":1}", "[[[[]]]]", "\"\\u0000\"", "\"\\ud800\"", "\"\\udfff\\ud800\"",
        "9223372036854775808", "NaN", "Infinity", "\"NaN\"", "1E+2", "2.0", "01", "+1", ".5", "0x10", "\"<|endoftext|>\"", "-0.0", "1e-7",
    ];

    /// <summary>Bodies with one value left open (§): each field of both endpoints, nested ones too.</summary>
    static readonly (string Path, string Template)[] Templates =
    [
        (Completions, """{"model":§,"prompt":"Hello, Rex","max_tokens":2}"""),
        (Completions, """{"prompt":§,"max_tokens":2}"""),
        (Completions, """{"prompt":[§],"max_tokens":2}"""),
        (Completions, """{"prompt":[9906,§],"max_tokens":2}"""),
        (Completions, """{"prompt":"Hello","max_tokens":§}"""),
        (Completions, """{"prompt":"Hello","max_completion_tokens":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"temperature":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"temperature":1,"top_p":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"temperature":1,"top_k":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"temperature":1,"seed":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"stop":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"stop":["a",§]}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"stop_token_ids":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"stop_token_ids":[§]}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"ignore_eos":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"presence_penalty":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"frequency_penalty":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"logprobs":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"n":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"user":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"stream":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"stream":true,"stream_options":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"stream":true,"stream_options":{"include_usage":§}}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"echo":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"logit_bias":§}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"logit_bias":{"5":§}}"""),
        (Completions, """{"prompt":"Hello","max_tokens":2,"best_of":§,"suffix":§}"""),
        (Chat, """{"messages":§,"max_tokens":2}"""),
        (Chat, """{"messages":[§],"max_tokens":2}"""),
        (Chat, """{"messages":[{"role":§,"content":"Hi"}],"max_tokens":2}"""),
        (Chat, """{"messages":[{"role":"user","content":§}],"max_tokens":2}"""),
        (Chat, """{"messages":[{"role":"user","content":[§]}],"max_tokens":2}"""),
        (Chat, """{"messages":[{"role":"user","content":[{"type":§,"text":"Hi"}]}],"max_tokens":2}"""),
        (Chat, """{"messages":[{"role":"user","content":[{"type":"text","text":§}]}],"max_tokens":2}"""),
        (Chat, """{"messages":[{"role":"user","content":"Hi","name":§}],"max_tokens":2}"""),
        (Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"logprobs":§}"""),
        (Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"response_format":§}"""),
        (Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"response_format":{"type":§}}"""),
        (Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"tools":§,"tool_choice":§}"""),
        (Chat, """{"messages":[{"role":"assistant","content":"Hi","tool_calls":§},{"role":"user","content":"Hi"}],"max_tokens":2}"""),
        (Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"metadata":§,"modalities":§}"""),
        (Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"logprobs":true,"top_logprobs":§}"""),
        (Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"model":§}"""),
        (Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":§}"""),
        (Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"stop":§,"stream":true}"""),
    ];

    readonly HttpClient http = new();

    public IReadOnlyList<FuzzCase> Cases(int seed)
    {
        var random = new Random(seed);
        return [.. WrongValues(random, 5), .. Structure(random), .. Mutations(random, 40), .. Routes()];
    }

    /// <summary>Valid small completions, all at once: beyond MaxQueuedRequests some are turned away (429).</summary>
    public IReadOnlyList<FuzzCase> Burst(int count) => [.. Enumerable.Range(0, count).Select(i => Post($"burst {i}", Completions, ValidCompletion))];

    FuzzCase Post(string name, string path, byte[] body, string? contentType = "application/json") => new(Target, name, async ct =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, v1 + path) { Content = new ByteArrayContent(body) };
        if (contentType is not null) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await http.SendAsync(request, ct);
        return HttpOracle.Api((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(ct));
    });

    FuzzCase Post(string name, string path, string json) => Post(name, path, Encoding.UTF8.GetBytes(json));

    IEnumerable<FuzzCase> WrongValues(Random random, int perField)
    {
        foreach (var (path, template) in Templates)
            foreach (var value in Values.OrderBy(_ => random.Next()).Take(perField))
                yield return Post($"{path} {template.Replace("§", value)}", path, template.Replace("§", value));
    }

    IEnumerable<FuzzCase> Structure(Random random)
    {
        const int Deep = 10_000;
        string Nested(string open, string inner, string close) => string.Concat(Enumerable.Repeat(open, Deep)) + inner + string.Concat(Enumerable.Repeat(close, Deep));
        yield return Post("a prompt of 10000 nested arrays", Completions, $$"""{"prompt":{{Nested("[", "1", "]")}}}""");
        yield return Post("a body of 10000 nested arrays", Completions, Nested("[", "", "]"));
        yield return Post("content of 10000 nested objects", Chat, $$"""{"messages":[{"role":"user","content":{{Nested("{\"a\":", "1", "}")}}}]}""");
        yield return Post("stop nested 65 deep", Completions, $$"""{"prompt":"Hi","stop":{{string.Concat(Enumerable.Repeat("[", 65))}}{{string.Concat(Enumerable.Repeat("]", 65))}}}""");

        byte[][] invalidUtf8 = [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80]];
        (string Path, string Template)[] utf8Slots =
        [
            (Completions, """{"prompt":"a§b","max_tokens":2}"""), (Completions, """{"prompt":["a§b"],"max_tokens":2}"""),
            (Completions, """{"prompt":"Hi","stop":"§","max_tokens":2}"""), (Completions, """{"prompt":"Hi","stop":["§"],"max_tokens":2}"""),
            (Completions, """{"model":"§","prompt":"Hi"}"""), (Completions, """{"prompt":"Hi","user":"§","max_tokens":2}"""),
            (Completions, """{"prompt":"Hi","§":1}"""), (Completions, """{"prompt":"Hi",§"max_tokens":2}"""),
            (Chat, """{"messages":[{"role":"user","content":"§"}],"max_tokens":2}"""), (Chat, """{"messages":[{"role":"§","content":"Hi"}],"max_tokens":2}"""),
            (Chat, """{"messages":[{"role":"user","content":[{"type":"text","text":"§"}]}],"max_tokens":2}"""),
            (Chat, """{"messages":[{"role":"user","content":[{"type":"§","text":"Hi"}]}],"max_tokens":2}"""),
        ];
        foreach (var (path, template) in utf8Slots)
        {
            var bytes = random.Pick(invalidUtf8);
            var parts = template.Split('§');
            yield return Post($"invalid UTF-8 {Convert.ToHexString(bytes)} in {template}", path, [.. Encoding.UTF8.GetBytes(parts[0]), .. bytes, .. Encoding.UTF8.GetBytes(parts[1])]);
        }

        yield return Post("a prompt of MaxPromptChars words", Completions, Body("prompt", Words(MaxPromptChars)));
        yield return Post("a prompt of MaxPromptChars + 1 words", Completions, Body("prompt", Words(MaxPromptChars + 1)));
        yield return Post("a prompt of MaxPromptChars letters without a break", Completions, Body("prompt", Letters(random, MaxPromptChars)));
        yield return Post("a prompt of MaxPromptChars ideographs", Completions, Body("prompt", Ideographs(random, MaxPromptChars)));
        yield return Post("a prompt of 4096 random UTF-16 units", Completions, Body("prompt", Noise(random, 4096)));
        yield return Post("content of MaxPromptChars + 1 words", Chat, $$"""{"messages":[{"role":"user","content":"{{Words(MaxPromptChars + 1)}}"}]}""");
        yield return Post("a 1 MiB user", Completions, $$"""{"prompt":"Hi","max_tokens":2,"user":"{{Words(1 << 20)}}"}""");
        yield return Post("a 1 MiB model", Completions, $$"""{"prompt":"Hi","model":"{{Words(1 << 20)}}"}""");
        yield return Post("a 1 MiB stop string", Completions, $$"""{"prompt":"Hi","max_tokens":2,"stop":"{{Letters(random, 1 << 20)}}"}""");
        yield return Post("a 1 MiB field name", Completions, $$"""{"prompt":"Hi","{{Letters(random, 1 << 20)}}":1}""");
        yield return Post("10000 messages", Chat, $$"""{"messages":[{{string.Join(",", Enumerable.Repeat("""{"role":"user","content":"hi"}""", 10_000))}}]}""");
        yield return Post("10000 stop strings", Completions, $$"""{"prompt":"Hi","max_tokens":2,"stop":[{{string.Join(",", Enumerable.Range(0, 10_000).Select(i => $"\"s{i}\""))}}]}""");
        yield return Post("100000 stop strings", Completions, $$"""{"prompt":"Hi","max_tokens":2,"stop":[{{string.Join(",", Enumerable.Range(0, 100_000).Select(i => $"\"{i}\""))}}]}""");
        yield return Post("100000 stop token ids", Completions, $$"""{"prompt":"Hi","max_tokens":2,"stop_token_ids":[{{string.Join(",", Enumerable.Range(0, 100_000))}}]}""");
        yield return Post("100000 prompt token ids", Completions, $$"""{"prompt":[{{string.Join(",", Enumerable.Range(0, 100_000))}}]}""");
        yield return Post("an empty prompt", Completions, """{"prompt":[]}""");
        yield return new FuzzCase(Target, "a 17 MiB body", async ct =>
        {
            // Expect: 100-continue lets the server refuse by Content-Length before the body is sent, and the client read it.
            using var request = new HttpRequestMessage(HttpMethod.Post, v1 + Completions) { Content = new StringContent(Body("prompt", Words(17 << 20)), Encoding.UTF8, "application/json") };
            request.Headers.ExpectContinue = true;
            using var response = await http.SendAsync(request, ct);
            return HttpOracle.Api((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(ct));
        });

        string[] notJson = ["", " ", "null", "[]", "\"str\"", "123", "{}{}", "{\"prompt\":\"Hi\",}", "{'prompt':'Hi'}", "{\"prompt\":\"Hi\" // x\n}",
            "{\"prompt\":\"Hi\",\"temperature\":NaN}", "{\"prompt\":\"a\",\"prompt\":\"b\",\"max_tokens\":2}", "\uFEFF{\"prompt\":\"Hi\",\"max_tokens\":2}", "{\"prompt\":\"Hi\"\0}"];
        foreach (var body in notJson) yield return Post($"body '{body}'", Completions, body);
        foreach (var valid in (string[])[ValidCompletion, ValidChat])
            for (var i = 0; i < 5; i++)
            {
                var at = random.Next(valid.Length);
                yield return Post($"cut to {at} chars: {valid[..at]}", valid == ValidChat ? Chat : Completions, valid[..at]);
            }

        foreach (var contentType in (string?[])[null, "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json; charset=utf-8"])
            yield return Post($"content-type {contentType ?? "(none)"}", Completions, Encoding.UTF8.GetBytes(ValidCompletion), contentType);
        yield return Post("UTF-16 with its content-type", Completions, Encoding.Unicode.GetBytes(ValidCompletion), "application/json; charset=utf-16");
        yield return Post("a form body", Completions, Encoding.UTF8.GetBytes("prompt=Hi&max_tokens=2"), "application/x-www-form-urlencoded");
    }

    static string Body(string field, string text) => $$"""{"{{field}}":"{{text}}","max_tokens":2}""";

    IEnumerable<FuzzCase> Mutations(Random random, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var (path, valid) = i % 2 == 0 ? (Completions, ValidCompletion) : (Chat, ValidChat);
            var bytes = Encoding.UTF8.GetBytes(valid);
            var at = random.Next(bytes.Length);
            var value = (byte)random.Next(256);
            var (what, mutated) = random.Next(3) switch
            {
                0 => ($"byte {at} set to {value:X2}", [.. bytes[..at], value, .. bytes[(at + 1)..]]),
                1 => ($"byte {at} deleted", [.. bytes[..at], .. bytes[(at + 1)..]]),
                _ => ($"{value:X2} inserted at {at}", (byte[])[.. bytes[..at], value, .. bytes[at..]]),
            };
            yield return Post($"{path} {what}", path, mutated);
        }
    }

    IEnumerable<FuzzCase> Routes()
    {
        (HttpMethod Method, string Path)[] wrong =
        [
            (HttpMethod.Get, Completions), (HttpMethod.Put, Completions), (HttpMethod.Delete, Chat), (HttpMethod.Patch, Chat), (HttpMethod.Post, "/models"),
            (HttpMethod.Options, "/models"), (HttpMethod.Get, "/nope"), (HttpMethod.Get, "/../v2/models"), (HttpMethod.Post, "/completions/extra"),
            (HttpMethod.Get, "/%ff%fe"), (HttpMethod.Get, "/" + new string('a', 10_000)), (new HttpMethod("BREW"), Completions),
        ];
        foreach (var (method, path) in wrong)
            yield return new FuzzCase(Target, $"{method} {(path.Length > 40 ? path[..40] + "..." : path)}", async ct =>
            {
                using var request = new HttpRequestMessage(method, v1 + path);
                if (method != HttpMethod.Get) request.Content = new StringContent(ValidCompletion, Encoding.UTF8, "application/json");
                using var response = await http.SendAsync(request, ct);
                return HttpOracle.Other((int)response.StatusCode);
            });
        yield return new FuzzCase(Target, "GET /models", async ct =>
        {
            using var response = await http.GetAsync(v1 + "/models?limit=-1&x=%00", ct);
            return HttpOracle.Api((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(ct));
        });
    }

    public void Dispose() => http.Dispose();
}
