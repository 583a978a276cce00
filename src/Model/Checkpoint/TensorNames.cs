namespace Rex.Model.Checkpoint;

/// <summary>
/// Where a family keeps each weight in its checkpoint. Modules are named by their path (a linear layer `P` stores
/// `P.weight` and, where it has one, `P.bias`; a norm or an embedding stores `P.weight`); functions take the layer.
/// </summary>
public sealed record TensorNames
{
    public required string Embedding { get; init; }
    public required string FinalNorm { get; init; }

    /// <summary>The LM head's module; unused when the model ties it to the embedding.</summary>
    public required string LmHead { get; init; }

    public required Func<int, string> InputNorm { get; init; }
    public required Func<int, string> PostAttentionNorm { get; init; }
    public required QkvTensorNames Qkv { get; init; }
    public required Func<int, string> Output { get; init; }

    /// <summary>Query and key norms, for families that have them.</summary>
    public Func<int, string>? QNorm { get; init; }
    public Func<int, string>? KNorm { get; init; }

    public required Func<int, string> Router { get; init; }
    public required ExpertTensorNames Experts { get; init; }

    /// <summary>The shared expert's GLU and its sigmoid gate (a linear layer to one value), for families that have them.</summary>
    public GluTensorNames? SharedExpert { get; init; }
    public Func<int, string>? SharedExpertGate { get; init; }

    /// <summary>The MLP of dense layers, for families that mix them with MoE layers.</summary>
    public GluTensorNames? DenseMlp { get; init; }
}

/// <summary>The q, k and v projections: one fused linear layer (queries, keys, values by rows) or three.</summary>
public abstract record QkvTensorNames;

public sealed record FusedQkvTensorNames(Func<int, string> Qkv) : QkvTensorNames;

public sealed record SeparateQkvTensorNames(Func<int, string> Q, Func<int, string> K, Func<int, string> V) : QkvTensorNames;

/// <summary>A GLU's three linear layers: gate and up `[ffn, hidden]`, down `[hidden, ffn]`.</summary>
public sealed record GluTensorNames(Func<int, string> Gate, Func<int, string> Up, Func<int, string> Down);

/// <summary>How a family stores its routed experts.</summary>
public abstract record ExpertTensorNames;

/// <summary>Each expert as its own three linear layers (Mixtral's w1/w3/w2, Qwen's and OLMoE's gate/up/down); functions take (layer, expert).</summary>
public sealed record PerExpertTensorNames(Func<int, int, string> Gate, Func<int, int, string> Up, Func<int, int, string> Down) : ExpertTensorNames;

/// <summary>
/// All of a layer's experts in three parameters of `[num_experts * ffn, hidden]`, expert e owning rows
/// [e * ffn, (e + 1) * ffn) (DBRX's w1, v1, w2); the down projection is stored transposed.
/// </summary>
public sealed record FusedExpertTensorNames(Func<int, string> Gate, Func<int, string> Up, Func<int, string> DownTransposed) : ExpertTensorNames;
