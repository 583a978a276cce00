using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rex.Gateway.OpenAi;

/// <summary>
/// Source-generated System.Text.Json for every body the OpenAI API reads or writes: no reflection per request.
/// snake_case names as OpenAI's; strict numbers (a quoted number is an error, not a guess).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CompletionRequest))]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(Completion))]
[JsonSerializable(typeof(ChatCompletion))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelCard))]
[JsonSerializable(typeof(ErrorResponse))]
public sealed partial class OpenAiJson : JsonSerializerContext
{
    /// <summary>
    /// The context the API uses. Generated text and messages keep their characters (no \u0027 for a quote, three
    /// bytes instead of six for most non-ASCII): these bodies are JSON and event streams, never embedded in HTML,
    /// where the default encoder's extra escaping would matter.
    /// </summary>
    public static OpenAiJson Api { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
