namespace Rex.Gateway.OpenAi;

/// <summary>OpenAI's usage object; cached_tokens counts prompt tokens whose KV blocks came from the prefix cache.</summary>
public sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens, PromptTokensDetails PromptTokensDetails)
{
    public static Usage Of(int promptTokens, int completionTokens, int cachedTokens) =>
        new(promptTokens, completionTokens, promptTokens + completionTokens, new PromptTokensDetails(cachedTokens));
}

public sealed record PromptTokensDetails(int CachedTokens);
