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
    readonly List<TokenLogprob> logprobs = [];
    readonly StringBuilder text = new();
    readonly StreamingDetokenizer? detokenizer; // null: a model without a tokenizer has no text
    readonly HashSet<int> stopTokenIds;
    readonly int maxSeqLen;
    readonly int longestStop;
    int deliveredTokens;
    int deliveredText;

    public Sequence(IReadOnlyList<int> promptIds, SamplingParams sampling, IReadOnlyList<int> defaultStopTokenIds,
        ITokenizer? tokenizer, int maxSeqLen)
    {
        PromptIds = promptIds;
        Sampling = sampling;
        this.maxSeqLen = maxSeqLen;
        Random = new SequenceRandom(sampling.Seed ?? BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)));
        detokenizer = tokenizer is null ? null : new StreamingDetokenizer(tokenizer);
        stopTokenIds = sampling.IgnoreEos ? [] : [.. sampling.StopTokenIds ?? defaultStopTokenIds];
        longestStop = sampling.Stop.Count == 0 ? 0 : sampling.Stop.Max(s => s.Length);
    }

    public IReadOnlyList<int> PromptIds { get; }
    public SamplingParams Sampling { get; }
    public SequenceRandom Random { get; }
    public IReadOnlyList<int> OutputIds => output;
    public IReadOnlyList<TokenLogprob> OutputLogprobs => logprobs;

    /// <summary>Prompt then output: what a sequence recomputed after preemption runs through the model.</summary>
    public int NumTokens => PromptIds.Count + output.Count;

    public int TokenAt(int position) => position < PromptIds.Count ? PromptIds[position] : output[position - PromptIds.Count];

    public string Text => text.ToString();
    public FinishReason? FinishReason { get; private set; }
    public bool IsFinished => FinishReason is not null;

    /// <summary>The most tokens this sequence can ever hold: prompt plus max_tokens, within max_seq_len.</summary>
    public int MaxLength => Math.Min(PromptIds.Count + Sampling.MaxTokens, maxSeqLen);

    public int LastToken => output.Count > 0 ? output[^1] : PromptIds[^1];

    /// <summary>Appends a sampled token, extends the text, and decides whether the sequence is done.</summary>
    public void Append(int token, TokenLogprob? logprob = null)
    {
        if (IsFinished) throw new InvalidOperationException("the sequence has finished");
        output.Add(token);
        if (logprob is not null) logprobs.Add(logprob);
        if (stopTokenIds.Contains(token))
        {
            Finish(Engine.FinishReason.Stop);
            return;
        }
        var before = text.Length;
        if (detokenizer is not null) text.Append(detokenizer.Add(token));
        if (CutAtStopString(before)) return;
        if (output.Count >= Sampling.MaxTokens || PromptIds.Count + output.Count >= maxSeqLen)
            Finish(Engine.FinishReason.Length);
    }

    public GenerationResult Result() =>
        FinishReason is { } reason ? new GenerationResult([.. output], Text, reason, [.. logprobs]) : throw new InvalidOperationException("not finished");

    /// <summary>
    /// The tokens and text not yet delivered. While running, the text's last (longest stop string - 1) characters
    /// wait: a later token could complete a stop string there, and delivered text cannot be taken back.
    /// </summary>
    public SequenceDelta TakeDelta()
    {
        var stable = IsFinished ? text.Length : Math.Max(deliveredText, text.Length - Math.Max(0, longestStop - 1));
        if (stable > deliveredText && stable < text.Length && char.IsHighSurrogate(text[stable - 1])) stable--;
        var delta = new SequenceDelta(
            output.GetRange(deliveredTokens, output.Count - deliveredTokens),
            text.ToString(deliveredText, stable - deliveredText),
            Sampling.Logprobs is null ? null : logprobs.GetRange(deliveredTokens, output.Count - deliveredTokens),
            FinishReason);
        deliveredTokens = output.Count;
        deliveredText = stable;
        return delta;
    }

    // A stop string can straddle tokens: search from where one could have begun before this token's text.
    bool CutAtStopString(int textLengthBefore)
    {
        if (longestStop == 0) return false;
        var from = Math.Max(0, textLengthBefore - longestStop + 1);
        var tail = text.ToString(from, text.Length - from);
        var cut = -1;
        foreach (var stop in Sampling.Stop)
        {
            var at = tail.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut < 0) return false;
        text.Length = from + cut;
        FinishReason = Engine.FinishReason.Stop;
        return true;
    }

    void Finish(FinishReason reason)
    {
        if (detokenizer is not null) text.Append(detokenizer.Flush());
        FinishReason = reason;
    }
}
