using System.Security.Cryptography;
using System.Text;
using Rex.Model.Sampling;
using Rex.Model.Tokenization;

namespace Rex.Model.Engine;

/// <summary>
/// One request in flight: its prompt, the tokens generated so far, their text, and the stop rules.
/// No tensors: the engine owns the cache and the math.
/// </summary>
public sealed class Sequence
{
    readonly List<int> output = [];
    readonly StringBuilder text = new();
    readonly StreamingDetokenizer detokenizer;
    readonly HashSet<int> stopTokenIds;
    readonly int maxSeqLen;
    readonly int longestStop;

    public Sequence(IReadOnlyList<int> promptIds, SamplingParams sampling, IReadOnlyList<int> defaultStopTokenIds,
        DbrxTokenizer tokenizer, int maxSeqLen)
    {
        PromptIds = promptIds;
        Sampling = sampling;
        this.maxSeqLen = maxSeqLen;
        Random = new SequenceRandom(sampling.Seed ?? BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)));
        detokenizer = new StreamingDetokenizer(tokenizer);
        stopTokenIds = sampling.IgnoreEos ? [] : [.. sampling.StopTokenIds ?? defaultStopTokenIds];
        longestStop = sampling.Stop.Count == 0 ? 0 : sampling.Stop.Max(s => s.Length);
    }

    public IReadOnlyList<int> PromptIds { get; }
    public SamplingParams Sampling { get; }
    public SequenceRandom Random { get; }
    public IReadOnlyList<int> OutputIds => output;
    public string Text => text.ToString();
    public FinishReason? FinishReason { get; private set; }
    public bool IsFinished => FinishReason is not null;

    /// <summary>The most tokens this sequence can ever hold: prompt plus max_tokens, within max_seq_len.</summary>
    public int MaxLength => Math.Min(PromptIds.Count + Sampling.MaxTokens, maxSeqLen);

    public int LastToken => output.Count > 0 ? output[^1] : PromptIds[^1];

    /// <summary>Appends a sampled token, extends the text, and decides whether the sequence is done.</summary>
    public void Append(int token)
    {
        if (IsFinished) throw new InvalidOperationException("the sequence has finished");
        output.Add(token);
        if (stopTokenIds.Contains(token))
        {
            Finish(Engine.FinishReason.Stop);
            return;
        }
        var before = text.Length;
        text.Append(detokenizer.Add(token));
        if (CutAtStopString(before)) return;
        if (output.Count >= Sampling.MaxTokens || PromptIds.Count + output.Count >= maxSeqLen)
            Finish(Engine.FinishReason.Length);
    }

    public GenerationResult Result() =>
        FinishReason is { } reason ? new GenerationResult([.. output], Text, reason) : throw new InvalidOperationException("not finished");

    // A stop string can straddle tokens: search from where one could have begun before this token's text.
    bool CutAtStopString(int textLengthBefore)
    {
        if (longestStop == 0) return false;
        var from = Math.Max(0, textLengthBefore - longestStop + 1);
        var current = text.ToString();
        var cut = -1;
        foreach (var stop in Sampling.Stop)
        {
            var at = current.IndexOf(stop, from, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut < 0) return false;
        text.Length = cut;
        FinishReason = Engine.FinishReason.Stop;
        return true;
    }

    void Finish(FinishReason reason)
    {
        text.Append(detokenizer.Flush());
        FinishReason = reason;
    }
}
