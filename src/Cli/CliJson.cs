using System.Text.Json;

namespace Rex.Cli;

/// <summary>JSON as the CLI prints it: snake_case, one line, characters beyond ASCII kept as they are.</summary>
internal static class CliJson
{
    static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
