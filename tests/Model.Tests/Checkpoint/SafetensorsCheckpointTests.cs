using System.Text.Json.Nodes;
using Rex.Model.Checkpoint;
using Rex.Tests;
using static TorchSharp.torch;

namespace Rex.Model.Tests.Checkpoint;

public sealed class SafetensorsCheckpointTests : IDisposable
{
    static readonly float[] Values = [1.5f, -2.25f, 3.0f, 0.125f, -0.5f, 7.0f, 96.0f, -1024.0f];

    readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    // Three tensors: "a" [4, 2] and "b" [8] of `dtype`, "c" [2] F32.
    void WriteSingle(string dtype) => SafetensorsWriter.Write(directory.File(SafetensorsCheckpoint.SingleFileName), Tensors(dtype));

    static SafetensorsTensor[] Tensors(string dtype)
    {
        var bytes = dtype switch
        {
            "BF16" => SafetensorsWriter.ToBFloat16(Values),
            "F16" => SafetensorsWriter.ToFloat16(Values),
            _ => SafetensorsWriter.ToFloat32(Values),
        };
        return
        [
            new("a", dtype, [4, 2], bytes),
            new("b", dtype, [8], bytes),
            new("c", "F32", [2], SafetensorsWriter.ToFloat32([9f, 10f])),
        ];
    }

    void WriteSharded(JsonObject weightMap, params (string File, SafetensorsTensor[] Tensors)[] shards)
    {
        foreach (var (file, tensors) in shards) SafetensorsWriter.Write(directory.File(file), tensors);
        File.WriteAllText(directory.File(SafetensorsCheckpoint.IndexFileName), new JsonObject { ["weight_map"] = weightMap }.ToJsonString());
    }

    [Theory]
    [InlineData("F32")]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void ConvertsEveryWeightDtypeToTheComputeDtype(string dtype)
    {
        WriteSingle(dtype);
        using var checkpoint = SafetensorsCheckpoint.Open(directory.Path);
        using var a = checkpoint.Load("a", ScalarType.Float32, CPU);
        Assert.Equal(new long[] { 4, 2 }, a.shape);
        Assert.Equal(Values, a.data<float>().ToArray()); // every value is exact in all three types
        using var half = checkpoint.Load("b", ScalarType.BFloat16, CPU);
        Assert.Equal(ScalarType.BFloat16, half.dtype);
    }

    [Fact]
    public void LoadsRowsReadingOnlyTheirBytes()
    {
        WriteSingle("F32");
        using var checkpoint = SafetensorsCheckpoint.Open(directory.Path);
        using var rows = checkpoint.LoadRows("a", 1, 2, ScalarType.Float32, CPU);
        Assert.Equal(new long[] { 2, 2 }, rows.shape);
        Assert.Equal(Values[2..6], rows.data<float>().ToArray());
        Assert.Equal(16, checkpoint.BytesRead);
    }

    [Fact]
    public void SelectiveLoadingNeverReadsOtherTensorsBytes()
    {
        WriteSingle("BF16");
        using var checkpoint = SafetensorsCheckpoint.Open(directory.Path);
        using var c = checkpoint.Load("c", ScalarType.Float32, CPU);
        Assert.Equal(8, checkpoint.BytesRead);
    }

    [Fact]
    public void ShardedCheckpointsOpenOnlyTheShardsThatAreUsed()
    {
        var tensors = Tensors("F32");
        WriteSharded(new JsonObject { ["a"] = "one.safetensors", ["b"] = "one.safetensors", ["c"] = "two.safetensors" },
            ("one.safetensors", tensors[..2]), ("two.safetensors", tensors[2..]));
        File.WriteAllText(directory.File("one.safetensors"), "corrupt: a shard never opened is never parsed");
        using var checkpoint = SafetensorsCheckpoint.Open(directory.Path);
        using var c = checkpoint.Load("c", ScalarType.Float32, CPU);
        Assert.Equal([9f, 10f], c.data<float>().ToArray());
        Assert.Throws<CheckpointException>(() => checkpoint.Load("a", ScalarType.Float32, CPU));
    }

    [Fact]
    public void ShardedAndSingleFileCheckpointsHoldTheSameTensors()
    {
        var tensors = Tensors("BF16");
        WriteSharded(new JsonObject { ["a"] = "x.safetensors", ["b"] = "y.safetensors", ["c"] = "y.safetensors" },
            ("x.safetensors", tensors[..1]), ("y.safetensors", tensors[1..]));
        using var sharded = SafetensorsCheckpoint.Open(directory.Path);
        Assert.Equal(["a", "b", "c"], sharded.TensorNames.Order());
        using var b = sharded.Load("b", ScalarType.Float32, CPU);
        Assert.Equal(Values, b.data<float>().ToArray());
    }

    [Fact]
    public void AMissingTensorNamesTheFileThatShouldHoldIt()
    {
        WriteSingle("F32");
        using var checkpoint = SafetensorsCheckpoint.Open(directory.Path);
        var error = Assert.Throws<CheckpointException>(() => checkpoint.Load("transformer.wte.weight", ScalarType.Float32, CPU));
        Assert.Contains(directory.File(SafetensorsCheckpoint.SingleFileName), error.Message);
        Assert.Contains("missing tensor 'transformer.wte.weight'", error.Message);
    }

    [Fact]
    public void ATensorTheIndexPlacesInTheWrongShard()
    {
        var tensors = Tensors("F32");
        WriteSharded(new JsonObject { ["a"] = "one.safetensors", ["c"] = "one.safetensors" }, ("one.safetensors", tensors[..1]));
        using var checkpoint = SafetensorsCheckpoint.Open(directory.Path);
        var error = Assert.Throws<CheckpointException>(() => checkpoint.Load("c", ScalarType.Float32, CPU));
        Assert.Contains($"{directory.File("one.safetensors")}: missing tensor 'c'", error.Message);
    }

    [Theory]
    [InlineData("../outside.safetensors", "is not a file name")]
    [InlineData("absent.safetensors", "mapped to absent.safetensors, which does not exist")]
    public void IndexEntriesMustBeShardsBesideTheIndex(string file, string message)
    {
        File.WriteAllText(directory.File(SafetensorsCheckpoint.IndexFileName), new JsonObject { ["weight_map"] = new JsonObject { ["a"] = file } }.ToJsonString());
        var error = Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(directory.Path));
        Assert.Contains("tensor 'a'", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void ADirectoryWithoutWeights() =>
        Assert.Contains("no model.safetensors or model.safetensors.index.json",
            Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(directory.Path)).Message);

    [Fact]
    public void ShapesAreCheckedAgainstWhatTheConfigNeeds()
    {
        WriteSingle("F32");
        using var checkpoint = SafetensorsCheckpoint.Open(directory.Path);
        var error = Assert.Throws<CheckpointException>(() => checkpoint.Load("a", [2, 4], ScalarType.Float32, CPU));
        Assert.Contains("tensor 'a' has shape [4, 2], but the config needs [2, 4]", error.Message);
    }

    [Fact]
    public void NonFloatingTensorsAreNotWeights()
    {
        SafetensorsWriter.Write(directory.File(SafetensorsCheckpoint.SingleFileName), [new SafetensorsTensor("ids", "I64", [1], new byte[8])]);
        using var checkpoint = SafetensorsCheckpoint.Open(directory.Path);
        Assert.Contains("tensor 'ids' has dtype I64", Assert.Throws<CheckpointException>(() => checkpoint.Load("ids", ScalarType.Float32, CPU)).Message);
    }
}
