namespace Rex.Gateway.Telemetry;

/// <summary>OpenTelemetry's gen_ai.operation.name values for what Rex serves.</summary>
public static class GenAiOperations
{
    public const string Chat = "chat";
    public const string TextCompletion = "text_completion";
}
