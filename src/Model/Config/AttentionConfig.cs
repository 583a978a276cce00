namespace Rex.Model.Config;

/// <summary>Whether and how queries and keys are normalised before the rotary embedding.</summary>
public enum QkNormKind
{
    None,

    /// <summary>RMSNorm over each head's `head_dim` values, one weight shared by all heads (Qwen3-MoE).</summary>
    PerHead,

    /// <summary>RMSNorm over the whole q projection and the whole k projection, before the split into heads (OLMoE).</summary>
    Full,
}

/// <summary>
/// Self-attention of a decoder layer: grouped-query attention with rotate-half RoPE over the whole head. Families
/// differ in projection biases, an explicit head size, q/k normalisation and clipping; the projections' tensors
/// (one fused QKV or three) are a matter of <see cref="TensorNames"/>, not of the math.
/// </summary>
public sealed record AttentionConfig
{
    public required int NumHeads { get; init; }

    /// <summary>Key/value heads shared by groups of query heads (GQA; equal to NumHeads for MHA).</summary>
    public required int NumKvHeads { get; init; }

    /// <summary>`head_dim`: hidden_size / num_heads unless the config gives it (then q has heads * head_dim rows).</summary>
    public required int HeadDim { get; init; }

    /// <summary>The q, k and v projections carry biases.</summary>
    public bool QkvBias { get; init; }

    /// <summary>The output projection carries a bias.</summary>
    public bool OutputBias { get; init; }

    public QkNormKind QkNorm { get; init; }

    /// <summary>q, k and v are clamped to ±this after their projections (and norms); null: no clipping.</summary>
    public double? ClipQkv { get; init; }

    public double RopeTheta { get; init; } = 10000;

    /// <summary>Rows of the query projection: heads x head_dim.</summary>
    public int QDim => NumHeads * HeadDim;

    public int KvDim => NumKvHeads * HeadDim;

    /// <summary>Rows of the fused projection Rex computes: queries, then keys, then values.</summary>
    public int QkvDim => QDim + 2 * KvDim;
}
