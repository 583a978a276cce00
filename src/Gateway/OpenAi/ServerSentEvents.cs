using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Rex.Gateway.OpenAi;

/// <summary>
/// A response as OpenAI's stream: `data: JSON\n\n` per event, each flushed at once, ended by `data: [DONE]\n\n`.
/// Events are serialized straight into the response's pipe through one reused writer: no string per event.
/// </summary>
public sealed class ServerSentEvents : IDisposable
{
    readonly HttpResponse response;
    readonly Utf8JsonWriter json;

    ServerSentEvents(HttpResponse response)
    {
        this.response = response;
        // The writer, not the serializer, escapes: it takes the API's encoder.
        json = new Utf8JsonWriter(response.BodyWriter, new JsonWriterOptions { Encoder = OpenAiJson.Api.Options.Encoder });
    }

    public static async Task<ServerSentEvents> Start(HttpResponse response, CancellationToken cancellation)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(cancellation);
        return new ServerSentEvents(response);
    }

    public async Task Send<T>(T value, JsonTypeInfo<T> type, CancellationToken cancellation)
    {
        response.BodyWriter.Write("data: "u8);
        json.Reset(response.BodyWriter);
        JsonSerializer.Serialize(json, value, type);
        response.BodyWriter.Write("\n\n"u8);
        await response.BodyWriter.FlushAsync(cancellation);
    }

    public async Task Done(CancellationToken cancellation)
    {
        response.BodyWriter.Write("data: [DONE]\n\n"u8);
        await response.BodyWriter.FlushAsync(cancellation);
    }

    public void Dispose() => json.Dispose();
}
