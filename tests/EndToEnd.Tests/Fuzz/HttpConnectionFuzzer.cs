using System.Text;
using static Rex.EndToEnd.Tests.Fuzz.HostileValues;

namespace Rex.EndToEnd.Tests.Fuzz;

/// <summary>
/// Hostile clients rather than hostile bodies: slow ones, stalled ones, ones that leave mid-request or mid-stream,
/// and requests that break HTTP/1.1 itself (bad framing, huge headers, a body past the size limit).
/// </summary>
public sealed class HttpConnectionFuzzer(string v1) : IDisposable
{
    const string Target = "http";
    const string LongCompletion = """{"prompt":"Hello","max_tokens":200,"ignore_eos":true}""";

    readonly HttpClient http = new();

    Uri Server => new(v1);

    public IReadOnlyList<FuzzCase> Cases() =>
    [
        Slow("a body trickled in 40 pieces", "/completions", """{"prompt":"Hello, Rex","max_tokens":2}""", 40),
        Slow("a chat body trickled in 20 pieces", "/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"stream":true}""", 20),
        Raw("a body that stalls after 10 of 100 declared bytes", Request("Content-Length: 100\r\n", """{"prompt":""")),
        Raw("a garbage request line", Encoding.ASCII.GetBytes("GARBAGE\r\n\r\n")),
        Raw("Content-Length and Transfer-Encoding both", Request("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n")),
        Raw("a negative Content-Length", Request("Content-Length: -1\r\n", "{}")),
        Raw("a chunk size that is not hex", Request("Transfer-Encoding: chunked\r\n", "zz\r\n{}\r\n0\r\n\r\n")),
        Raw("a 64 KiB header", Request($"X-Big: {new string('x', 64 << 10)}\r\nContent-Length: 2\r\n", "{}")),
        Raw("two requests pipelined", [.. Request($"Content-Length: {LongCompletion.Length}\r\n", LongCompletion), .. Request($"Content-Length: {LongCompletion.Length}\r\n", LongCompletion)]),
        Gone("headers, then gone", Request("Content-Length: 100\r\n", "")),
        Gone("half a body, then gone", Request("Content-Length: 100\r\n", """{"prompt":"Hello","max_t""")),
        Chunked("a 17 MiB body sent chunked", Encoding.UTF8.GetBytes($$"""{"prompt":"{{Words(17 << 20)}}"}""")),
        LeftMidStream("a completion stream left after its first event", "/completions", """{"prompt":"Hello","max_tokens":200,"ignore_eos":true,"stream":true}"""),
        LeftMidStream("a chat stream left after its first event", "/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":200,"ignore_eos":true,"stream":true}"""),
        new(Target, "a request left before its answer", async ct =>
        {
            using var leave = CancellationTokenSource.CreateLinkedTokenSource(ct);
            leave.CancelAfter(TimeSpan.FromMilliseconds(30));
            try
            {
                using var response = await http.PostAsync(v1 + "/completions", new StringContent(LongCompletion, Encoding.UTF8, "application/json"), leave.Token);
                return HttpOracle.Api((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(ct));
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new FuzzOutcome("left");
            }
        }),
    ];

    byte[] Request(string headers, string body) =>
        Encoding.UTF8.GetBytes($"POST {Server.AbsolutePath}/completions HTTP/1.1\r\nHost: {Server.Authority}\r\nContent-Type: application/json\r\n{headers}\r\n{body}");

    FuzzCase Slow(string name, string path, string json, int pieces) => new(Target, name, async ct =>
    {
        using var content = new TricklingContent(Encoding.UTF8.GetBytes(json), pieces, TimeSpan.FromMilliseconds(30));
        content.Headers.ContentType = new("application/json");
        using var response = await http.PostAsync(v1 + path, content, ct);
        return HttpOracle.Api((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(ct));
    });

    FuzzCase Raw(string name, byte[] request) => new(Target, name, async ct =>
        (await RawHttp.Exchange(Server, request, ct)).Status is { } status ? HttpOracle.Other(status) : new FuzzOutcome("closed"));

    FuzzCase Gone(string name, byte[] requestStart) => new(Target, name, async ct =>
    {
        await RawHttp.Abandon(Server, requestStart, ct);
        return new FuzzOutcome("left");
    });

    // Raw, since HttpClient gives up on the answer when the server closes before the body is all sent.
    FuzzCase Chunked(string name, byte[] body) => new(Target, name, async ct =>
    {
        var reply = await RawHttp.Exchange(Server, [.. Request("Transfer-Encoding: chunked\r\n", $"{body.Length:X}\r\n"), .. body, .. "\r\n0\r\n\r\n"u8], ct);
        return reply.Status is { } status ? HttpOracle.Api(status, "application/json", reply.Body) : FuzzOutcome.Broken("closed", "no answer before the server closed");
    });

    FuzzCase LeftMidStream(string name, string path, string json) => new(Target, name, async ct =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, v1 + path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        await reader.ReadLineAsync(ct);
        // Disposing the unread response closes the connection: the server sees its client go mid-stream.
        return (int)response.StatusCode == 200 ? new FuzzOutcome("HTTP 200, left") : FuzzOutcome.Broken($"HTTP {(int)response.StatusCode}", "the stream did not start");
    });

    public void Dispose() => http.Dispose();
}
