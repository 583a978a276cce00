using Google.Protobuf;
using Grpc.Core;
using Rex.Model.Checkpoint;
using Rex.Model.Layers;
using Rex.Protos.DataPlane;
using Rex.Tests;
using static TorchSharp.torch;

namespace Rex.Silo.Tests.DataPlane;

/// <summary>The expert data plane over real gRPC: partial sums, and statuses (not dropped streams) for bad batches.</summary>
public sealed class ExpertDataPlaneTests(DataPlaneFixture fixture) : IClassFixture<DataPlaneFixture>
{
    const int Rows = 6;
    const int DModel = 64;

    static readonly long[] Chosen = [0, 9, 3, 12, 1, 2, 15, 8, 8, 4, 5, 6, 7, 10, 11, 13, 14, 0, 9, 1, 2, 3, 4, 5];
    static readonly float[] Weights = Enumerable.Range(0, Chosen.Length).Select(i => 0.1f + 0.03f * i).ToArray();
    static readonly float[] Hidden = Enumerable.Range(0, Rows * DModel).Select(i => MathF.Sin(i * 0.37f)).ToArray();

    // One slice per expert, its rows and weights taken from the [rows, 4] routing above.
    static ExpertBatch Batch()
    {
        var batch = new ExpertBatch
        {
            Model = DataPlaneFixture.Model,
            Layer = 0,
            NumRows = Rows,
            HiddenSize = DModel,
            Dtype = TensorDType.Float32,
            Hidden = ByteString.CopyFrom(SafetensorsWriter.ToFloat32(Hidden)),
        };
        foreach (var expert in Chosen.Distinct().Order())
        {
            var slice = new ExpertSlice { Expert = (int)expert, Replica = 0 };
            for (var slot = 0; slot < Chosen.Length; slot++)
                if (Chosen[slot] == expert)
                {
                    slice.Rows.Add(slot / 4);
                    slice.Weights.Add(Weights[slot]);
                }
            batch.Slices.Add(slice);
        }
        return batch;
    }

    async Task<ExpertPartial[]> Exchange(params ExpertBatch[] batches)
    {
        using var call = fixture.Client.Exchange();
        for (var i = 0; i < batches.Length; i++)
        {
            batches[i].RequestId = (ulong)i + 1;
            await call.RequestStream.WriteAsync(batches[i]);
        }
        await call.RequestStream.CompleteAsync();
        var replies = new List<ExpertPartial>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync()) replies.Add(reply);
        return [.. replies.OrderBy(r => r.RequestId)];
    }

    [Fact]
    public async Task ReturnsTheWeightedExpertSumOfEveryRowAcrossDevices()
    {
        var reply = (await Exchange(Batch())).Single();
        Assert.Equal((int)StatusCode.OK, reply.StatusCode);
        Assert.Equal(Rows, reply.NumRows);

        using var scope = NewDisposeScope();
        using var directory = Rex.Model.ModelDirectory.Open(TestPaths.DbrxTiny);
        using var layer = new WeightReader(directory.Weights, directory.Config, ComputePlacement.Cpu).ExpertLayer(0, Enumerable.Range(0, 16));
        var expected = layer.Forward(tensor(Hidden).view(Rows, DModel), tensor(Chosen).view(Rows, 4), tensor(Weights).view(Rows, 4));
        var actual = tensor(Rex.Model.Tensors.TensorBytes.FromBytes(reply.Partial.Span, [Rows, DModel], ScalarType.Float32, CPU).data<float>().ToArray());
        Assert.True(allclose(expected.view(-1), actual, rtol: 1e-5, atol: 1e-6));
        Assert.True(fixture.Registry.All.Where(e => e.Key.Expert == 8).Single().RowsServed >= 2);
    }

    [Fact]
    public async Task AProbeWithoutRowsOrSlicesIsAnsweredOk()
    {
        var replies = await Exchange(new ExpertBatch(), Batch());
        Assert.Equal([StatusCode.OK, StatusCode.OK], replies.Select(r => (StatusCode)r.StatusCode));
        Assert.Equal(0, replies[0].NumRows);
        Assert.True(replies[0].Partial.IsEmpty);
    }

    [Fact]
    public async Task RowsWhoseSizeDisagreesWithTheirHeaderAreRefused()
    {
        // Checked against num_rows x hidden_size x the dtype's width before a tensor is made of the bytes: too many,
        // too few for the declared rows, or sized for another dtype, nothing is read past what was sent.
        var longHidden = Batch();
        longHidden.Hidden = ByteString.CopyFrom([.. longHidden.Hidden, .. new byte[4]]);
        var halfWidthDtype = Batch();
        halfWidthDtype.Dtype = TensorDType.Bfloat16;
        var moreRowsDeclared = Batch();
        moreRowsDeclared.NumRows = Rows + 1;
        var noRows = Batch();
        noRows.NumRows = 0;
        var negativeRows = Batch();
        negativeRows.NumRows = -Rows;

        var replies = await Exchange(longHidden, halfWidthDtype, moreRowsDeclared, noRows, negativeRows, Batch());
        Assert.Equal([.. Enumerable.Repeat(StatusCode.InvalidArgument, 5), StatusCode.OK], replies.Select(r => (StatusCode)r.StatusCode));
        Assert.Contains("hidden holds 1540 bytes; num_rows 6 x hidden_size 64 of Float32 needs 1536", replies[0].StatusMessage);
        Assert.Contains("hidden holds 1536 bytes; num_rows 6 x hidden_size 64 of Bfloat16 needs 768", replies[1].StatusMessage);
        Assert.Contains("hidden holds 1536 bytes; num_rows 7 x hidden_size 64 of Float32 needs 1792", replies[2].StatusMessage);
        Assert.Contains("num_rows must be positive, got 0", replies[3].StatusMessage);
        Assert.Contains("num_rows must be positive, got -6", replies[4].StatusMessage);
        Assert.All(replies[..5], r => Assert.True(r.Partial.IsEmpty));
    }

    [Fact]
    public async Task ABadBatchGetsAStatusAndTheStreamGoesOn()
    {
        var unknown = Batch();
        unknown.Slices[0].Replica = 7;
        var shortHidden = Batch();
        shortHidden.Hidden = ByteString.CopyFrom(new byte[10]);
        var badRow = Batch();
        badRow.Slices[1].Rows[0] = Rows;
        var wrongWidth = Batch();
        wrongWidth.HiddenSize = 32;
        var uneven = Batch();
        uneven.Slices[2].Weights.Add(1f);
        var noDtype = Batch();
        noDtype.Dtype = TensorDType.Unspecified;
        var otherModel = Batch();
        otherModel.Model = "llama";

        var replies = await Exchange(unknown, shortHidden, Batch(), badRow, wrongWidth, uneven, noDtype, otherModel);
        Assert.Equal(
            [StatusCode.NotFound, StatusCode.InvalidArgument, StatusCode.OK, StatusCode.InvalidArgument, StatusCode.InvalidArgument,
                StatusCode.InvalidArgument, StatusCode.InvalidArgument, StatusCode.NotFound],
            replies.Select(r => (StatusCode)r.StatusCode));
        Assert.Contains("expert dbrx-tiny/0/0/7 is not hosted on this silo", replies[0].StatusMessage);
        Assert.Contains("hidden holds 10 bytes; num_rows 6 x hidden_size 64 of Float32 needs 1536", replies[1].StatusMessage);
        Assert.Contains("row 6 is outside [0, 6)", replies[3].StatusMessage);
        Assert.Contains("hidden_size 32 is not the model's hidden size 64", replies[4].StatusMessage);
        Assert.Contains("rows with", replies[5].StatusMessage);
        Assert.Contains("model 'llama' is not served here", replies[7].StatusMessage);
    }
}
