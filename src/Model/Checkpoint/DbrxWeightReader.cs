using Rex.Model.Config;
using Rex.Model.Layers;
using static TorchSharp.torch;

namespace Rex.Model.Checkpoint;

/// <summary>
/// Builds DBRX layers from a model's weights, checking every tensor's shape against the config and converting it
/// to the placement's dtype and device. Each method reads only the tensors (or rows) it needs.
/// </summary>
public sealed class DbrxWeightReader(IModelWeights weights, DbrxConfig config, ComputePlacement placement)
{
    long DModel => config.DModel;

    public Tensor Embedding() => Load(DbrxTensorNames.Embedding, [config.VocabSize, DModel]);

    public Tensor FinalNorm() => Load(DbrxTensorNames.FinalNorm, [DModel]);

    public Tensor LmHead() => Load(DbrxTensorNames.LmHead, [config.VocabSize, DModel]);

    public AttentionBlock AttentionBlock(int layer, RotaryEmbedding rotary)
    {
        var attention = new Attention(config, layer,
            Load(DbrxTensorNames.Wqkv(layer), [config.QkvDim, DModel]),
            Load(DbrxTensorNames.OutProj(layer), [DModel, DModel]),
            rotary);
        return new AttentionBlock(
            Load(DbrxTensorNames.AttentionNorm(layer), [DModel]),
            attention,
            Load(DbrxTensorNames.FfnNorm(layer), [DModel]),
            new Router(config, Load(DbrxTensorNames.Router(layer), [config.NumExperts, DModel])));
    }

    /// <summary>Loads one expert of one layer: rows [e * ffn, (e + 1) * ffn) of each fused tensor, nothing else.</summary>
    public ExpertGlu Expert(int layer, int expert)
    {
        if (expert < 0 || expert >= config.NumExperts)
            throw new ArgumentOutOfRangeException(nameof(expert), expert, $"moe_num_experts is {config.NumExperts}");
        return new ExpertGlu(config.Activation,
            ExpertRows(DbrxTensorNames.ExpertW1(layer), expert),
            ExpertRows(DbrxTensorNames.ExpertV1(layer), expert),
            ExpertRows(DbrxTensorNames.ExpertW2(layer), expert));
    }

    public ExpertLayer ExpertLayer(int layer, IEnumerable<int> experts) =>
        new(experts.ToDictionary(e => e, e => Expert(layer, e)));

    Tensor ExpertRows(string name, int expert) =>
        weights.LoadRows(name, [(long)config.NumExperts * config.FfnHiddenSize, DModel], (long)expert * config.FfnHiddenSize,
            config.FfnHiddenSize, placement.DType, placement.Device);

    Tensor Load(string name, long[] shape) => weights.Load(name, shape, placement.DType, placement.Device);
}
