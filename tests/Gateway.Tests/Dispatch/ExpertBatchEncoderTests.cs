using Rex.Gateway.Dispatch;
using Rex.Protos.DataPlane;
using Rex.Protos.Grains;
using static TorchSharp.torch;

namespace Rex.Gateway.Tests.Dispatch;

public sealed class ExpertBatchEncoderTests
{
    const int HiddenSize = 3;

    // [4 rows, 3] float32: row r holds r * 10 + column.
    static readonly LayerBatch Batch = new("m", 7, 2, 1, ScalarType.Float32,
        tensor(Enumerable.Range(0, 4 * HiddenSize).Select(i => (float)(i / HiddenSize * 10 + i % HiddenSize)).ToArray()).reshape(4, HiddenSize));

    static ReplicaRoute Route(int expert, int replica) => new(new ExpertGrainKey("m", 2, expert, replica), "s");

    static float[] Values(ExpertBatch request) =>
        Enumerable.Range(0, request.Hidden.Length / 4).Select(i => BitConverter.ToSingle(request.Hidden.Span.Slice(i * 4, 4))).ToArray();

    [Fact]
    public void AMessageCarriesItsRowsInItsOrderAndASlicePerReplica()
    {
        var message = new SiloMessagePlan("s");
        message.Add(Route(5, 0), 3, 0.75f);
        message.Add(Route(1, 1), 0, 0.5f);
        message.Add(Route(5, 0), 0, 0.25f);

        var request = ExpertBatchEncoder.Encode(Batch, message, "00-trace");

        Assert.Equal(("m", 7UL, 2, 1, 2, HiddenSize, TensorDType.Float32, "00-trace"),
            (request.Model, request.Step, request.Layer, request.MicroBatch, request.NumRows, request.HiddenSize, request.Dtype, request.Traceparent));
        Assert.Equal([30f, 31f, 32f, 0f, 1f, 2f], Values(request)); // layer rows 3 then 0, exactly 2 rows of bytes
        Assert.Equal([(5, 0, new[] { 0, 1 }, new[] { 0.75f, 0.25f }), (1, 1, new[] { 1 }, new[] { 0.5f })],
            request.Slices.Select(s => (s.Expert, s.Replica, s.Rows.ToArray(), s.Weights.ToArray())));
    }

    [Fact]
    public void ARoundEncodesEachOfItsMessagesInOrder()
    {
        var first = new SiloMessagePlan("s");
        first.Add(Route(0, 0), 1, 1f);
        var second = new SiloMessagePlan("t");
        second.Add(Route(3, 0), 2, 1f);

        var requests = ExpertBatchEncoder.Encode(Batch, [first, second], "");

        Assert.Equal([[10f, 11f, 12f], [20f, 21f, 22f]], requests.Select(Values));
        Assert.Equal([0, 3], requests.Select(r => r.Slices.Single().Expert));
    }

    [Fact]
    public void AReleasedRequestNoLongerHoldsThePooledRows()
    {
        var message = new SiloMessagePlan("s");
        message.Add(Route(0, 0), 2, 1f);
        var request = ExpertBatchEncoder.Encode(Batch, message, "");

        ExpertBatchEncoder.Release(request);

        Assert.True(request.Hidden.IsEmpty);
        Assert.Equal([20f, 21f, 22f], Values(ExpertBatchEncoder.Encode(Batch, message, ""))); // the next one is whole
    }
}
