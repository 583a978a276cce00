using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Rex.Gateway.Hosting;

namespace Rex.Gateway.OpenAi;

/// <summary>
/// A JSON object in a request body. Fields the endpoint does not know are kept only to refuse them by name: a
/// misspelt parameter silently ignored would change the answer without saying so.
/// </summary>
public abstract class JsonBody
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }

    /// <param name="path">Where this object sits in the body, ending in '.' ("messages[2].").</param>
    public void RejectUnknown(string path = "")
    {
        if (Unknown is not { Count: > 0 }) return;
        var field = path + Unknown.Keys.First();
        throw new ArgumentException($"{field} is not a field this endpoint knows", field);
    }

    /// <summary>
    /// Reads the body as one <typeparamref name="T"/> as it arrives, within the request size limit: past it reading
    /// fails with Kestrel's 413. A body declared as anything but JSON in UTF-8 is refused with 415 before it is read;
    /// one with no Content-Type is read as JSON, as OpenAI's servers do (`curl -d` users often leave it out). JSON
    /// that does not fit is an <see cref="ArgumentException"/> naming the field.
    /// </summary>
    public static async Task<T> Read<T>(HttpContext context, JsonTypeInfo<T> type) where T : JsonBody
    {
        RequireJson(context.Request);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = RexApiExtensions.MaxRequestBytes;
        try
        {
            var body = await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted);
            return body ?? throw new ArgumentException("the body must be a JSON object, not null");
        }
        catch (JsonException e)
        {
            var where = $"line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}";
            var field = Field(e.Path);
            throw field is null
                ? new ArgumentException($"the body is not a valid JSON object ({where})", e)
                : new ArgumentException($"{field} has a value of the wrong type or malformed JSON ({where})", field, e);
        }
    }

    static void RequireJson(HttpRequest request)
    {
        if (request.ContentType is not { Length: > 0 } declared) return;
        if (!request.HasJsonContentType())
            throw new BadHttpRequestException($"Content-Type '{declared}' is not supported: send the body as application/json",
                StatusCodes.Status415UnsupportedMediaType);
        var charset = MediaTypeHeaderValue.Parse(declared).Charset;
        if (charset.HasValue && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            throw new BadHttpRequestException($"Content-Type charset '{charset}' is not supported: send the body as UTF-8 (application/json; charset=utf-8)",
                StatusCodes.Status415UnsupportedMediaType);
    }

    /// <summary>
    /// A JSON string's text. The reader leaves a string's bytes unchecked until now: invalid UTF-8, or an escaped lone
    /// surrogate, is the client's error naming the field, not the server's.
    /// </summary>
    protected static string StringValue(JsonElement value, string field)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"{field} is not valid UTF-8 text (or escapes a lone surrogate)", field, e);
        }
    }

    /// <summary>"$.messages[0].content" is the field "messages[0].content"; "$" (the body itself) is none.</summary>
    static string? Field(string? path) => path is { Length: > 2 } && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
}
