using Rex.Model.Cache;
using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Layers;
using Rex.Model.Tensors;
using static TorchSharp.torch;

namespace Rex.Model.Engine;

/// <summary>
/// Everything of a model except its routed experts: embedding, every decoder layer's attention half, router,
/// shared expert or dense MLP, the final norm and the LM head. This is what a gateway holds; the experts may live
/// elsewhere.
/// </summary>
public sealed class Backbone : IDisposable
{
    readonly Tensor embedding;  // [vocab, hidden]
    readonly Norm finalNorm;
    readonly Tensor lmHead;     // [vocab, hidden]; the embedding itself when tied
    readonly RotaryEmbedding rotary;
    readonly DecoderLayer[] layers;

    public Backbone(ModelConfig config, WeightReader weights, ComputePlacement placement)
    {
        Config = config;
        Placement = placement;
        rotary = new RotaryEmbedding(config.Attention.HeadDim, config.MaxPositionEmbeddings, config.Attention.RopeTheta, placement);
        embedding = weights.Embedding();
        layers = Enumerable.Range(0, config.NumLayers).Select(l => weights.Layer(l, rotary)).ToArray();
        finalNorm = weights.FinalNorm();
        lmHead = config.TieWordEmbeddings ? embedding : weights.LmHead();
    }

    public ModelConfig Config { get; }

    public ComputePlacement Placement { get; }

    public IReadOnlyList<DecoderLayer> Layers => layers;

    // ids: [rows] int64 -> [rows, hidden]
    public Tensor Embed(Tensor ids) => embedding.index_select(0, ids);

    // hidden: [rows, hidden] (last layer's output) -> [rows, vocab] float32
    public Tensor Logits(Tensor hidden) => SkinnyGemm.Linear(FinalNorm(hidden), lmHead).to(ScalarType.Float32);

    // hidden: [rows, hidden] (last layer's output) -> [rows, hidden], the LM head's input
    public Tensor FinalNorm(Tensor hidden) => finalNorm.Apply(hidden);

    /// <summary>[vocab, hidden], for engines that split the LM head's work by vocabulary.</summary>
    public Tensor LmHead => lmHead;

    public KvCache NewCache(int capacity) =>
        new(Config.NumLayers, Config.Attention.NumKvHeads, Config.Attention.HeadDim, capacity, Placement.DType, Placement.Device);

    public void Dispose()
    {
        embedding.Dispose();
        finalNorm.Dispose();
        if (!ReferenceEquals(lmHead, embedding)) lmHead.Dispose();
        rotary.Dispose();
        foreach (var layer in layers) layer.Dispose();
    }
}
