using Rex.Model.Cache;
using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Layers;
using static TorchSharp.torch;

namespace Rex.Model.Engine;

/// <summary>
/// A whole model in one process: the backbone plus every routed expert of every MoE layer. The single-process
/// reference that the distributed engine is checked against.
/// </summary>
public sealed class LocalModel : IDisposable
{
    readonly ExpertLayer?[] experts; // per layer; null for dense layers

    public LocalModel(Backbone backbone, ExpertLayer?[] experts)
    {
        Backbone = backbone;
        this.experts = experts;
    }

    public Backbone Backbone { get; }

    public ModelConfig Config => Backbone.Config;

    public static LocalModel Load(ModelDirectory model, ComputePlacement placement)
    {
        var weights = new WeightReader(model.Weights, model.Config, placement);
        var backbone = new Backbone(model.Config, weights, placement);
        var allExperts = Enumerable.Range(0, model.Config.Moe.NumExperts).ToArray();
        var experts = Enumerable.Range(0, model.Config.NumLayers)
            .Select(l => model.Config.IsMoeLayer(l) ? weights.ExpertLayer(l, allExperts) : null)
            .ToArray();
        return new LocalModel(backbone, experts);
    }

    /// <summary>
    /// Runs every layer over the batch's rows, appending their keys and values to each sequence's cache,
    /// and returns the last layer's output. ids: [rows] int64 -> [rows, hidden]
    /// </summary>
    public Tensor Forward(Tensor ids, ForwardBatch batch)
    {
        var hidden = Backbone.Embed(ids);
        for (var l = 0; l < Config.NumLayers; l++)
        {
            // Each layer's intermediates are freed as it ends, not with the caller's scope: a prefill of 64 prompts of
            // 128 tokens at DBRX width held about 2 GB per layer until the step ended and ran out of an H200's memory.
            using var scope = NewDisposeScope();
            var layer = Backbone.Layers[l];
            var attended = layer.Forward(hidden, batch);
            // The gateway's order of additions: what it computes itself first, the routed experts' sum when it returns.
            var output = layer.LocalFeedForward(attended.Normed) is { } local ? attended.Residual + local : attended.Residual;
            if (layer.IsMoe)
            {
                var routing = layer.Route(attended.Normed);
                output = output + experts[l]!.Forward(attended.Normed, routing.Experts, routing.Weights);
            }
            output.MoveToOuterDisposeScope();
            hidden.Dispose();
            hidden = output;
        }
        batch.Commit();
        return hidden;
    }

    public void Dispose()
    {
        Backbone.Dispose();
        foreach (var layer in experts) layer?.Dispose();
    }
}
