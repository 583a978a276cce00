using System.Diagnostics;
using Rex.Protos.Grains;

namespace Rex.Gateway.Engine;

/// <summary>
/// Where the gateway's steps spend their time, each phase timed on the engine thread so that together they never
/// exceed <see cref="Phase.Total"/>; what they leave of it is host overhead (embedding, residual adds, KV views,
/// the step's bookkeeping). On a GPU gateway kernels run asynchronously, so their time lands where the engine
/// thread next waits for the device: the routing's copy to the host, in <see cref="Phase.Dispatch"/>.
/// </summary>
public sealed class StepProfiler
{
    public enum Phase
    {
        /// <summary>Input norm, attention over the KV cache, residual add, post-attention norm.</summary>
        Attention,

        /// <summary>The router: expert logits, softmax, top-k.</summary>
        Router,

        /// <summary>A MoE layer's shared expert, run while its routed rows are on the silos, or a dense layer's MLP.</summary>
        LocalFeedForward,

        /// <summary>The routing's copy to the host and the plan, then the messages' sends (gRPC's own protobuf encoding included).</summary>
        Dispatch,

        /// <summary>The rows' copy to host bytes and their encoding into messages, for a layer's first round and its later rounds.</summary>
        Serialize,

        /// <summary>The engine thread blocked on the silos' replies (a retry's messages are built and sent within it).</summary>
        ExpertWait,

        /// <summary>
        /// Of <see cref="ExpertWait"/>, what the slowest silo's compute does not explain: the network, gRPC and HTTP/2
        /// on both ends. Per round, the wait less the largest compute the round's silos reported, never below zero.
        /// </summary>
        Network,

        /// <summary>
        /// Compute the silos reported (per round the slowest silo's, its device queue included), also where it ran
        /// while the engine did other work: not a share of <see cref="Total"/>.
        /// </summary>
        ExpertCompute,

        /// <summary>The partials read from their bytes and added into the layer's output.</summary>
        Combine,

        /// <summary>LM head, penalties, sampling and logprobs.</summary>
        Sampling,

        Total,
    }

    readonly long[] ticks = new long[Enum.GetValues<Phase>().Length];
    long steps;
    long stepBytes;

    public void Add(Phase phase, long stopwatchTicks) => Interlocked.Add(ref ticks[(int)phase], stopwatchTicks);

    public void AddSeconds(Phase phase, double seconds) => Add(phase, (long)(seconds * Stopwatch.Frequency));

    /// <summary>Counts a step and the bytes it must read at least (<see cref="Rex.Model.Engine.DecodeRoofline"/>).</summary>
    public void CountStep(double bytes)
    {
        Interlocked.Increment(ref steps);
        Interlocked.Add(ref stepBytes, (long)bytes);
    }

    public StepProfileSnapshot Snapshot() => new(Interlocked.Read(ref steps), Seconds(Phase.Attention), Seconds(Phase.Dispatch),
        Seconds(Phase.ExpertWait), Seconds(Phase.ExpertCompute), Seconds(Phase.Combine), Seconds(Phase.Sampling), Seconds(Phase.Total),
        Seconds(Phase.Router), Seconds(Phase.Serialize), Seconds(Phase.Network), Seconds(Phase.LocalFeedForward), Interlocked.Read(ref stepBytes));

    double Seconds(Phase phase) => Interlocked.Read(ref ticks[(int)phase]) / (double)Stopwatch.Frequency;
}
