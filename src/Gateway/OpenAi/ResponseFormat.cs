using System.Text.Json;

namespace Rex.Gateway.OpenAi;

/// <summary>
/// OpenAI's response_format. Only "text" (the default: free text) is served; "json_object" and "json_schema" need
/// guided decoding, which this server does not do, and are refused as not supported rather than answered unchecked.
/// </summary>
public sealed class ResponseFormat : JsonBody
{
    public string? Type { get; init; }

    /// <summary>With type "json_schema": the schema. Read only so that the refusal names the type, not this field.</summary>
    public JsonElement? JsonSchema { get; init; }

    public void Check()
    {
        switch (Type)
        {
            case "text":
                RejectUnknown("response_format.");
                return;
            case "json_object" or "json_schema":
                throw new ArgumentException($"response_format of type '{Type}' is not supported: this server does not do guided decoding (only 'text')", "response_format");
            default:
                throw new ArgumentException($"response_format.type must be 'text', 'json_object' or 'json_schema', got '{Type}'", "response_format");
        }
    }
}
