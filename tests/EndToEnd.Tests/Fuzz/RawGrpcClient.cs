using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Grpc.Core;

namespace Rex.EndToEnd.Tests.Fuzz;

/// <summary>
/// gRPC without a gRPC library: HTTP/2 with prior knowledge, whatever bytes the caller frames, and the status read
/// from the trailers (or the headers of a trailers-only answer). What the server's own deserializer sees is up to us.
/// </summary>
public sealed class RawGrpcClient(string address) : IDisposable
{
    readonly HttpClient http = new(new SocketsHttpHandler { EnableMultipleHttp2Connections = true }) { BaseAddress = new Uri(address) };

    /// <summary>A gRPC frame: the compressed flag, the big-endian length (as declared, true or not) and the payload.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload, byte flag = 0, uint? declaredLength = null)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), declaredLength ?? (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    /// <summary>What came back: the HTTP status, and the gRPC status and message when the answer carried one.</summary>
    public sealed record Answer(HttpStatusCode Http, StatusCode? Grpc, string Message);

    public async Task<Answer> Post(string path, byte[] body, CancellationToken ct, string contentType = "application/grpc",
        IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await http.SendAsync(request, ct);
        // Reading the body to its end is what brings the trailers.
        await response.Content.ReadAsByteArrayAsync(ct);
        var status = Value(response.TrailingHeaders, "grpc-status") ?? Value(response.Headers, "grpc-status");
        var message = Value(response.TrailingHeaders, "grpc-message") ?? Value(response.Headers, "grpc-message") ?? "";
        return new Answer(response.StatusCode, int.TryParse(status, out var code) ? (StatusCode)code : null, Uri.UnescapeDataString(message));
    }

    static string? Value(HttpHeaders headers, string name) => headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    public void Dispose() => http.Dispose();
}
