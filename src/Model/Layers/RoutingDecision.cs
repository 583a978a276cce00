using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>A router's choice for each row: its top-k experts and their (renormalised) weights.</summary>
/// <param name="Experts">[rows, top_k] int64 expert indices, highest probability first.</param>
/// <param name="Weights">[rows, top_k] float32 weights.</param>
public sealed record RoutingDecision(Tensor Experts, Tensor Weights);
