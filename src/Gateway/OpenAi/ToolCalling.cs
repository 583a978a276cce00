using System.Text.Json;

namespace Rex.Gateway.OpenAi;

/// <summary>
/// OpenAI's tool calling, which this server does not do: its fields are accepted when they ask for no call (no tools,
/// "none" or "auto" with none) and refused as not supported otherwise, as vLLM refuses what it is not set up for,
/// rather than answered with a reply that silently ignores the tools.
/// </summary>
public static class ToolCalling
{
    /// <summary>tools (or functions, or a message's tool_calls): only empty.</summary>
    public static void CheckNone(JsonElement[]? items, string field)
    {
        if (items is { Length: > 0 })
            throw new ArgumentException($"{field} are not supported: this server does not call tools (send none, or an empty list)", field);
    }

    /// <summary>tool_choice (or function_call): "none" or "auto".</summary>
    public static void CheckChoice(JsonElement? choice, string field)
    {
        // Compared as UTF-8 bytes: a string that is not valid UTF-8 is then just another value, not a decoding failure.
        if (choice is not { ValueKind: not JsonValueKind.Null } given
            || given.ValueKind == JsonValueKind.String && (given.ValueEquals("none") || given.ValueEquals("auto"))) return;
        throw new ArgumentException($"{field} other than 'none' or 'auto' is not supported: this server does not call tools", field);
    }
}
