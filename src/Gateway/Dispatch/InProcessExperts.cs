using System.Diagnostics;
using Rex.Protos.DataPlane;
using Rex.Silo.DataPlane;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// The expert silo in the gateway's own process (the embedded default, or any gateway that also has the expert role),
/// while <c>InProcessExperts</c> is on: a message for its data plane goes to its <see cref="ExpertBatchRunner"/>
/// directly, the rows staying a tensor on the gateway's device (no host bytes, no loopback gRPC; a device-to-device
/// copy where the expert's executor is another device). Its answer is the one the data plane would give, bit for bit.
/// </summary>
public sealed class InProcessExperts(ExpertBatchRunner runner, string dataPlane)
{
    /// <summary>The data-plane address of the silo in this process: the messages addressed to it come here.</summary>
    public string DataPlane => dataPlane;

    public async Task<ExpertReply> Run(LayerBatch batch, SiloMessagePlan message)
    {
        // The message's slices with the layer's own row numbers: the rows are not copied out per message.
        var slices = new ExpertSlice[message.Slices.Count];
        for (var s = 0; s < slices.Length; s++)
        {
            var plan = message.Slices[s];
            var slice = new ExpertSlice { Expert = plan.Route.Key.Expert, Replica = plan.Route.Key.Replica };
            for (var i = 0; i < plan.LocalRows.Count; i++) slice.Rows.Add(message.Rows[plan.LocalRows[i]]);
            slice.Weights.AddRange(plan.Weights);
            slices[s] = slice;
        }
        var clock = Stopwatch.StartNew();
        var partial = await runner.RunInProcess(batch.Model, batch.Layer, batch.Rows, slices, batch.DType);
        return new ExpertReply(null, partial, clock.Elapsed.Ticks / TimeSpan.TicksPerMicrosecond);
    }
}
