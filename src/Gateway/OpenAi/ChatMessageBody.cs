using System.Text;
using System.Text.Json;
using Rex.Model.Tokenization;

namespace Rex.Gateway.OpenAi;

/// <summary>One message of a chat request: a role and content, which is text or an array of {type: "text", text} parts, and an optional name.</summary>
public sealed class ChatMessageBody : JsonBody
{
    public string? Role { get; init; }

    public JsonElement? Content { get; init; }

    /// <summary>OpenAI's participant name: accepted, and not rendered (the chat template is given role and content).</summary>
    public string? Name { get; init; }

    /// <summary>An assistant message's earlier refusal text: accepted, and not rendered.</summary>
    public string? Refusal { get; init; }

    /// <summary>An assistant message's tool calls: only none, as this server makes none.</summary>
    public JsonElement[]? ToolCalls { get; init; }

    /// <summary>A tool message's answer to a call: refused, as this server makes no calls to answer.</summary>
    public string? ToolCallId { get; init; }

    /// <param name="field">The message's place in the body ("messages[2]").</param>
    public ChatMessage ToMessage(string field)
    {
        RejectUnknown(field + ".");
        ToolCalling.CheckNone(ToolCalls, field + ".tool_calls");
        if (ToolCallId is not null)
            throw new ArgumentException($"{field}.tool_call_id is not supported: this server does not call tools, so no message answers a call", field + ".tool_call_id");
        return new ChatMessage(Role ?? "", Content switch
        {
            null => "",
            { ValueKind: JsonValueKind.String } text => StringValue(text, field + ".content"),
            { ValueKind: JsonValueKind.Array } parts => Text(parts, field + ".content"),
            _ => throw new ArgumentException($"{field}.content must be a string or an array of text parts", field + ".content"),
        });
    }

    /// <summary>Text parts joined by newlines, as vLLM joins them.</summary>
    static string Text(JsonElement parts, string field)
    {
        var text = new StringBuilder();
        var i = 0;
        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                throw new ArgumentException($"{field}[{i}] must be an object with a type", field);
            var kind = StringValue(type, field);
            if (kind != "text") throw new ArgumentException($"{field}[{i}] has type '{kind}'; this server reads only text parts", field);
            if (!part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
                throw new ArgumentException($"{field}[{i}].text must be a string", field);
            if (i++ > 0) text.Append('\n');
            text.Append(StringValue(partText, field));
        }
        return text.ToString();
    }
}
