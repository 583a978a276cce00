namespace Rex.Model.Sampling;

/// <summary>A sampled token's log-probability under the model, and the most likely tokens at its position.</summary>
public sealed record TokenLogprob(int TokenId, float Logprob, IReadOnlyList<(int TokenId, float Logprob)> Top);
