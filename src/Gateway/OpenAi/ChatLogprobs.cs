namespace Rex.Gateway.OpenAi;

/// <summary>Chat logprobs: per generated token its text, log-probability, UTF-8 bytes and the most likely alternatives.</summary>
public sealed record ChatLogprobs(ChatTokenLogprob[] Content);

public sealed record ChatTokenLogprob(string Token, float Logprob, int[] Bytes, ChatTopLogprob[] TopLogprobs);

public sealed record ChatTopLogprob(string Token, float Logprob, int[] Bytes);
