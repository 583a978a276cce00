namespace Rex.Gateway.OpenAi;

/// <summary>OpenAI's error body, `{"error": {...}}`; param names the request field at fault.</summary>
public sealed record ErrorResponse(OpenAiError Error);

public sealed record OpenAiError(string Message, string Type, string? Param, string? Code);
