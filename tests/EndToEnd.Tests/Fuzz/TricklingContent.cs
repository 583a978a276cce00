using System.Net;

namespace Rex.EndToEnd.Tests.Fuzz;

/// <summary>A request body sent in small pieces with a pause before each: a slow client on a slow link.</summary>
public sealed class TricklingContent(byte[] body, int pieces, TimeSpan pause) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        var size = (body.Length + pieces - 1) / pieces;
        for (var at = 0; at < body.Length; at += size)
        {
            await Task.Delay(pause);
            await stream.WriteAsync(body.AsMemory(at, Math.Min(size, body.Length - at)));
            await stream.FlushAsync();
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = body.Length;
        return true;
    }
}
