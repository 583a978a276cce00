using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>What the attention half of a layer hands to its feed-forward half.</summary>
/// <param name="Residual">[rows, hidden]: the layer input plus attention; the feed-forward output is added to it.</param>
/// <param name="Normed">[rows, hidden]: the post-attention norm of the residual, the router's and the experts' input.</param>
public sealed record AttentionOutput(Tensor Residual, Tensor Normed);
