using Rex.Model.Cache;
using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Layers;
using static TorchSharp.torch;

namespace Rex.Model.Engine;

/// <summary>
/// A whole DBRX model in one process: the backbone plus every expert of every layer. The single-process
/// reference that the distributed engine is checked against.
/// </summary>
public sealed class DbrxModel : IDisposable
{
    readonly ExpertLayer[] experts;

    public DbrxModel(DbrxBackbone backbone, ExpertLayer[] experts)
    {
        Backbone = backbone;
        this.experts = experts;
    }

    public DbrxBackbone Backbone { get; }

    public DbrxConfig Config => Backbone.Config;

    public static DbrxModel Load(ModelDirectory model, ComputePlacement placement)
    {
        var weights = new DbrxWeightReader(model.Weights, model.Config, placement);
        var backbone = new DbrxBackbone(model.Config, weights, placement);
        var allExperts = Enumerable.Range(0, model.Config.NumExperts).ToArray();
        var experts = Enumerable.Range(0, model.Config.NumLayers).Select(l => weights.ExpertLayer(l, allExperts)).ToArray();
        return new DbrxModel(backbone, experts);
    }

    /// <summary>
    /// Runs every block over the batch's rows, appending their keys and values to each sequence's cache,
    /// and returns the last block's output. ids: [rows] int64 -> [rows, d_model]
    /// </summary>
    public Tensor Forward(Tensor ids, ForwardBatch batch)
    {
        var hidden = Backbone.Embed(ids);
        for (var layer = 0; layer < Config.NumLayers; layer++)
        {
            var block = Backbone.Blocks[layer];
            var attended = block.Forward(hidden, batch);
            var routing = block.Route(attended.Normed);
            hidden = attended.Residual + experts[layer].Forward(attended.Normed, routing.Experts, routing.Weights);
        }
        batch.Commit();
        return hidden;
    }

    public void Dispose()
    {
        Backbone.Dispose();
        foreach (var layer in experts) layer.Dispose();
    }
}
