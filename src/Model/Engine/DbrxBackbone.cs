using Rex.Model.Cache;
using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Layers;
using static TorchSharp.torch;

namespace Rex.Model.Engine;

/// <summary>
/// Everything of a DBRX model except the experts: embedding, the attention half of every block (with its
/// router), final norm and LM head. This is what a gateway holds; the experts may live elsewhere.
/// </summary>
public sealed class DbrxBackbone : IDisposable
{
    readonly Tensor embedding;  // [vocab, d_model]
    readonly Tensor finalNorm;  // [d_model]
    readonly Tensor lmHead;     // [vocab, d_model]
    readonly RotaryEmbedding rotary;
    readonly AttentionBlock[] blocks;

    public DbrxBackbone(DbrxConfig config, DbrxWeightReader weights, ComputePlacement placement)
    {
        Config = config;
        Placement = placement;
        rotary = new RotaryEmbedding(config.HeadDim, config.MaxSeqLen, config.RopeTheta, placement);
        embedding = weights.Embedding();
        blocks = Enumerable.Range(0, config.NumLayers).Select(l => weights.AttentionBlock(l, rotary)).ToArray();
        finalNorm = weights.FinalNorm();
        lmHead = weights.LmHead();
    }

    public DbrxConfig Config { get; }

    public ComputePlacement Placement { get; }

    public IReadOnlyList<AttentionBlock> Blocks => blocks;

    // ids: [rows] int64 -> [rows, d_model]
    public Tensor Embed(Tensor ids) => embedding.index_select(0, ids);

    // hidden: [rows, d_model] (last block's output) -> [rows, vocab] float32
    public Tensor Logits(Tensor hidden) => nn.functional.linear(FinalNorm(hidden), lmHead).to(ScalarType.Float32);

    // hidden: [rows, d_model] (last block's output) -> [rows, d_model], the LM head's input
    public Tensor FinalNorm(Tensor hidden) => LayerNorm.Apply(hidden, finalNorm);

    /// <summary>[vocab, d_model], for engines that split the LM head's work by vocabulary.</summary>
    public Tensor LmHead => lmHead;

    public KvCache NewCache(int capacity) =>
        new(Config.NumLayers, Config.NumKvHeads, Config.HeadDim, capacity, Placement.DType, Placement.Device);

    public void Dispose()
    {
        embedding.Dispose();
        finalNorm.Dispose();
        lmHead.Dispose();
        rotary.Dispose();
        foreach (var block in blocks) block.Dispose();
    }
}
