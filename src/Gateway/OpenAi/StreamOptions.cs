namespace Rex.Gateway.OpenAi;

/// <summary>OpenAI's stream_options: with include_usage, a last chunk before [DONE] carries the usage.</summary>
public sealed class StreamOptions : JsonBody
{
    public bool? IncludeUsage { get; init; }

    /// <summary>OpenAI's padding of stream events against length side channels: accepted, and no padding is sent.</summary>
    public bool? IncludeObfuscation { get; init; }
}
