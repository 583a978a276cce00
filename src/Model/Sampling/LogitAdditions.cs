using static TorchSharp.torch;

namespace Rex.Model.Sampling;

/// <summary>
/// Amounts to add to single logits of a batch, gathered on the host and added in one scatter over all rows (not in
/// vocabulary-wide operations per row): what penalties and logit bias share.
/// </summary>
/// <param name="vocab">The logits' row length.</param>
/// <param name="source">What the token ids come from, named when one is outside the vocabulary.</param>
sealed class LogitAdditions(long vocab, string source)
{
    readonly List<long> positions = [];
    readonly List<float> amounts = [];

    public void Add(int row, int token, double amount)
    {
        // Flat positions: an id outside the vocabulary would land in the next row's logits.
        if (token < 0 || token >= vocab) throw new ArgumentOutOfRangeException(source, token, $"row {row}: token id outside the vocabulary [0, {vocab})");
        positions.Add(row * vocab + token);
        amounts.Add((float)amount);
    }

    /// <summary>logits: [rows, vocab] -> a copy with the amounts added, or `logits` itself when there are none.</summary>
    public Tensor AddTo(Tensor logits)
    {
        if (positions.Count == 0) return logits;
        var device = logits.device;
        return logits.reshape(-1).clone()
            .index_add_(0, tensor(positions.ToArray(), ScalarType.Int64, device), tensor(amounts.ToArray(), ScalarType.Float32, device).to(logits.dtype), 1)
            .view(logits.shape);
    }
}
