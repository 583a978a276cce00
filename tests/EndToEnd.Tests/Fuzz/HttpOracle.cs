using System.Text.Json;

namespace Rex.EndToEnd.Tests.Fuzz;

/// <summary>
/// What an HTTP answer to hostile input may be. On an API route (its own method and path): a whole answer for a
/// case that happens to be valid, or one of the refusals OpenAI clients know with OpenAI's error JSON. Anywhere else
/// (wrong method, path or protocol): any 4xx, or a 2xx where the odd request is still a valid one. Never a 5xx.
/// </summary>
public static class HttpOracle
{
    static readonly HashSet<int> ApiRefusals = [400, 404, 408, 413, 415, 429];

    public static FuzzOutcome Api(int status, string? mediaType, string body)
    {
        var name = $"HTTP {status}";
        if (status is >= 200 and < 300)
            return (mediaType == "text/event-stream" ? BrokenStream(body) : BrokenAnswer(body)) is { } broken ? FuzzOutcome.Broken(name, broken) : new FuzzOutcome(name);
        if (!ApiRefusals.Contains(status)) return FuzzOutcome.Broken(name, $"not an API refusal: {Shorten(body)}");
        return IsError(body) ? new FuzzOutcome(name) : FuzzOutcome.Broken(name, $"not OpenAI error JSON: {Shorten(body)}");
    }

    public static FuzzOutcome Other(int status) =>
        status is >= 400 and < 500 or >= 200 and < 300 ? new FuzzOutcome($"HTTP {status}") : FuzzOutcome.Broken($"HTTP {status}", "neither a 4xx nor a 2xx");

    static bool IsError(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // A whole answer is one JSON object naming what it is (text_completion, chat.completion, list).
    static string? BrokenAnswer(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("object", out _) ? null : $"not an answer: {Shorten(body)}";
        }
        catch (JsonException)
        {
            return $"not JSON: {Shorten(body)}";
        }
    }

    // A stream is events of JSON ended by [DONE]; an error event means the server failed after the status line.
    static string? BrokenStream(string body)
    {
        if (!body.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal)) return $"the stream does not end with [DONE]: {Shorten(body)}";
        foreach (var line in body.Split('\n'))
            if (line.StartsWith("data: {\"error\"", StringComparison.Ordinal)) return $"the stream failed: {line}";
        return null;
    }

    static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";
}
