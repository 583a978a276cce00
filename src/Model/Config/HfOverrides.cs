using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rex.Model.Config;

/// <summary>vLLM's `--hf-overrides`: a JSON object merged into a model's config.json before it is read.</summary>
public static class HfOverrides
{
    /// <summary>Empty text: none. `field` names the setting in the error (--hf-overrides, Rex:HfOverrides).</summary>
    public static JsonObject? Parse(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return JsonNode.Parse(text) as JsonObject
                ?? throw new ArgumentException($"{field} must be a JSON object such as {{\"num_hidden_layers\": 4}}, got {text}", field);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{field} is not valid JSON: {e.Message}", field, e);
        }
    }
}
