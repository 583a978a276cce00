using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Rex.EndToEnd.Tests.Fuzz;

/// <summary>HTTP/1.1 as bytes on a socket: requests no HttpClient would send, and clients that stall or leave.</summary>
public static class RawHttp
{
    /// <summary>The status and body of the first response; a null status if the server closed without one.</summary>
    public sealed record Reply(int? Status, string Body);

    /// <summary>
    /// Sends the bytes and reads the first response (at most until `ct`). Reading starts before writing: a server may
    /// answer (413) and close before a large body is all sent. A request whose body is shorter than it declared
    /// leaves the client stalled until the server acts.
    /// </summary>
    public static async Task<Reply> Exchange(Uri server, byte[] request, CancellationToken ct)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(server.Host, server.Port, ct);
        var stream = socket.GetStream();
        var response = ReadResponse(stream, ct);
        try
        {
            await stream.WriteAsync(request, ct);
        }
        catch (IOException)
        {
            // The server closed early; what it answered first is being read.
        }
        return Parse(await response);
    }

    /// <summary>Sends only the first bytes of a request and leaves.</summary>
    public static async Task Abandon(Uri server, byte[] requestStart, CancellationToken ct)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(server.Host, server.Port, ct);
        await socket.GetStream().WriteAsync(requestStart, ct);
    }

    // Everything up to the end of the first response's body, or to the server closing; at most 1 MiB.
    static async Task<byte[]> ReadResponse(Stream stream, CancellationToken ct)
    {
        var received = new MemoryStream();
        var buffer = new byte[64 << 10];
        try
        {
            while (received.Length < 1 << 20 && !IsComplete(received.GetBuffer().AsSpan(0, (int)received.Length)))
            {
                var n = await stream.ReadAsync(buffer, ct);
                if (n == 0) break;
                received.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
            // Reset by the server: what came before the reset is the answer.
        }
        return received.ToArray();
    }

    // A response ends after Content-Length bytes of body, or at the last chunk.
    static bool IsComplete(ReadOnlySpan<byte> response)
    {
        var end = response.IndexOf("\r\n\r\n"u8);
        if (end < 0) return false;
        var body = response[(end + 4)..];
        var length = Header(Encoding.ASCII.GetString(response[..end]), "Content-Length");
        if (length is not null) return body.Length >= int.Parse(length);
        return !IsChunked(Encoding.ASCII.GetString(response[..end])) || body.EndsWith("0\r\n\r\n"u8);
    }

    static Reply Parse(byte[] response)
    {
        var end = response.AsSpan().IndexOf("\r\n\r\n"u8);
        var head = Encoding.ASCII.GetString(response, 0, end < 0 ? response.Length : end);
        if (!head.StartsWith("HTTP/1.", StringComparison.Ordinal) || head.Length < 12 || !int.TryParse(head.AsSpan(9, 3), out var status))
            return new Reply(null, head);
        var body = end < 0 ? [] : response[(end + 4)..];
        return new Reply(status, Encoding.UTF8.GetString(IsChunked(head) ? Dechunk(body) : body));
    }

    static string? Header(string head, string name) =>
        head.Split("\r\n").Where(h => h.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)).Select(h => h[(name.Length + 1)..].Trim()).FirstOrDefault();

    static bool IsChunked(string head) => Header(head, "Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;

    static byte[] Dechunk(byte[] chunked)
    {
        var body = new MemoryStream();
        for (var at = 0; at < chunked.Length;)
        {
            var line = chunked.AsSpan(at).IndexOf("\r\n"u8);
            if (line < 0 || !int.TryParse(Encoding.ASCII.GetString(chunked, at, line), NumberStyles.HexNumber, null, out var size) || size == 0) break;
            at += line + 2;
            body.Write(chunked, at, Math.Min(size, chunked.Length - at));
            at += size + 2;
        }
        return body.ToArray();
    }
}
