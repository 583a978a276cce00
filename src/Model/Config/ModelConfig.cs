using Rex.Model.Checkpoint;

namespace Rex.Model.Config;

/// <summary>
/// What Rex needs to know of a model, whatever its family: the shapes and behaviour of its blocks and the names of
/// its tensors. A family file (src/Model/Models) maps a Hugging Face config.json onto it; everything downstream
/// (layers, checkpoint reading, the gateway, the expert silos, the KV cache) reads only this.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>`model_type` of the family that described the model (dbrx, mixtral, qwen2_moe, ...).</summary>
    public required string ModelType { get; init; }

    public required int HiddenSize { get; init; }
    public required int NumLayers { get; init; }
    public required int VocabSize { get; init; }

    /// <summary>The longest sequence the model's positions cover (`max_position_embeddings`, DBRX's `max_seq_len`).</summary>
    public required int MaxPositionEmbeddings { get; init; }

    public required AttentionConfig Attention { get; init; }
    public required NormConfig Norm { get; init; }
    public required MoeConfig Moe { get; init; }

    /// <summary>Layers whose feed-forward half is a dense GLU MLP on the gateway instead of routed experts.</summary>
    public IReadOnlyList<int> DenseLayers { get; init; } = [];

    /// <summary>Hidden width of the dense layers' MLP (`intermediate_size`); unused when there are none.</summary>
    public int DenseIntermediateSize { get; init; }

    /// <summary>The LM head is the embedding matrix (`tie_word_embeddings`).</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>config.json's `eos_token_id` (one or a list), else the family's own; generation_config.json may override it.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    public required TensorNames Tensors { get; init; }

    public ConfigFieldNames Fields { get; init; } = new();

    /// <summary>Whether a layer's feed-forward half is routed experts (else a dense MLP).</summary>
    public bool IsMoeLayer(int layer) => !DenseLayers.Contains(layer);

    /// <summary>The layers that have routed experts, in order.</summary>
    public IEnumerable<int> MoeLayers => Enumerable.Range(0, NumLayers).Where(IsMoeLayer);

    /// <summary>Throws <see cref="ModelConfigException"/> naming the first inconsistent field; `source` names the file.</summary>
    public ModelConfig Validate(string source)
    {
        var (f, a, m) = (Fields, Attention, Moe);
        Require(HiddenSize > 0, f.HiddenSize, HiddenSize, "must be positive");
        Require(NumLayers > 0, f.NumLayers, NumLayers, "must be positive");
        Require(VocabSize > 0, f.VocabSize, VocabSize, "must be positive");
        Require(MaxPositionEmbeddings > 0, f.MaxPositionEmbeddings, MaxPositionEmbeddings, "must be positive");
        Require(a.NumHeads > 0, f.NumHeads, a.NumHeads, "must be positive");
        Require(a.HeadDim > 0, f.HeadDim, a.HeadDim, $"must be positive ({f.HiddenSize} {HiddenSize} / {f.NumHeads} {a.NumHeads} unless given)");
        Require(a.HeadDim % 2 == 0, f.HeadDim, a.HeadDim, "must be even: rotary embeddings rotate pairs of values");
        Require(a.NumKvHeads > 0, f.NumKvHeads, a.NumKvHeads, "must be positive");
        Require(a.NumHeads % a.NumKvHeads == 0, f.NumKvHeads, a.NumKvHeads, $"must divide {f.NumHeads} ({a.NumHeads})");
        Require(a.ClipQkv is null || a.ClipQkv >= 0, f.ClipQkv, a.ClipQkv, "must be non-negative or null");
        Require(a.RopeTheta > 0, f.RopeTheta, a.RopeTheta, "must be positive");
        Require(Norm.Eps > 0, f.NormEps, Norm.Eps, "must be positive");
        Require(m.NumExperts > 0, f.NumExperts, m.NumExperts, "must be positive");
        Require(m.TopK > 0, f.TopK, m.TopK, "must be positive");
        Require(m.TopK <= m.NumExperts, f.TopK, m.TopK, $"must not exceed {f.NumExperts} ({m.NumExperts})");
        Require(m.IntermediateSize > 0, f.ExpertIntermediateSize, m.IntermediateSize, "must be positive");
        Require(m.NormalizeTopKP is null || m.NormalizeTopKP > 0, f.NormalizeTopK, m.NormalizeTopKP, "must be a positive p or null");
        Require(m.SharedExpertIntermediateSize >= 0, f.SharedExpertIntermediateSize, m.SharedExpertIntermediateSize, "must not be negative");
        foreach (var layer in DenseLayers)
            Require(layer >= 0 && layer < NumLayers, f.DenseLayers, layer, $"names a layer outside [0, {NumLayers})");
        Require(DenseLayers.Count == 0 || DenseIntermediateSize > 0, f.DenseIntermediateSize, DenseIntermediateSize,
            "must be positive when some layers are dense");
        Require(MoeLayers.Any(), f.DenseLayers, $"[{string.Join(", ", DenseLayers)}]", "leaves no MoE layer: Rex serves mixture-of-experts models");
        return this;

        void Require(bool condition, string field, object? value, string rule)
        {
            if (!condition)
                throw new ModelConfigException($"{source}: {field} = {value?.ToString() ?? "null"} {rule}");
        }
    }
}
