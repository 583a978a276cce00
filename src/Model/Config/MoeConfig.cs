namespace Rex.Model.Config;

/// <summary>How a router turns its logits into the weights of the chosen experts.</summary>
public enum RouterScoring
{
    /// <summary>Softmax over all experts in float32, then the top k probabilities (DBRX, Mixtral, Qwen, OLMoE).</summary>
    SoftmaxThenTopK,

    /// <summary>The top k logits, then a softmax over those k only (gpt-oss).</summary>
    TopKThenSoftmax,
}

/// <summary>
/// The routed experts of a MoE layer and the gateway-side parts that go with them: the router, and an optional
/// shared expert that every token passes through.
/// </summary>
public sealed record MoeConfig
{
    public required int NumExperts { get; init; }

    /// <summary>Experts each token is routed to.</summary>
    public required int TopK { get; init; }

    /// <summary>Hidden width of one routed expert's GLU.</summary>
    public required int IntermediateSize { get; init; }

    public ExpertActivation Activation { get; init; } = ExpertActivation.Silu;

    public RouterScoring Scoring { get; init; } = RouterScoring.SoftmaxThenTopK;

    /// <summary>The top-k weights are divided by their p-norm (p = 1: they sum to 1); null: used as they are.</summary>
    public double? NormalizeTopKP { get; init; }

    /// <summary>Hidden width of the shared expert's GLU; 0: the layer has none.</summary>
    public int SharedExpertIntermediateSize { get; init; }

    /// <summary>The shared expert's output is scaled by sigmoid(x · gate) (Qwen2-MoE's `shared_expert_gate`).</summary>
    public bool SharedExpertGated { get; init; }

    public bool HasSharedExpert => SharedExpertIntermediateSize > 0;
}
