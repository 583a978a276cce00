namespace Rex.Model.Engine;

/// <summary>Why a generation ended: a stop token or string ("stop"), or max_tokens / max_seq_len ("length").</summary>
public enum FinishReason
{
    Stop,
    Length,
}

public static class FinishReasonExtensions
{
    /// <summary>The OpenAI / vLLM spelling.</summary>
    public static string ToWireName(this FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };
}
