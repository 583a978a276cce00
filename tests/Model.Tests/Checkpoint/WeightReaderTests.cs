using System.Text.Json.Nodes;
using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Models;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.TinyModel;
using Rex.Tests;

namespace Rex.Model.Tests.Checkpoint;

public sealed class WeightReaderTests
{
    [Fact]
    public void AnExpertHostReadsOnlyItsExpertsRows()
    {
        using var checkpoint = SafetensorsCheckpoint.Open(TestPaths.DbrxTiny);
        var config = ModelConfigReader.ReadDirectory(TestPaths.DbrxTiny);
        var reader = new WeightReader(checkpoint, config, ComputePlacement.Cpu);
        using var expert = reader.Expert(layer: 1, expert: 5);
        // Three [ffn, hidden] BF16 slices of the fused tensors and nothing else.
        Assert.Equal(3L * config.Moe.IntermediateSize * config.HiddenSize * 2, checkpoint.BytesRead);
    }

    [Fact]
    public void AnExpertLeavesNoTensorAliveOnceDisposed()
    {
        // A tensor left to the finalizer keeps its storage alive until a collection: at DBRX width on a GPU the
        // transposed view of each expert's down rows held a third of the experts' bytes again and the load ran out.
        using var checkpoint = SafetensorsCheckpoint.Open(TestPaths.DbrxTiny);
        var config = ModelConfigReader.ReadDirectory(TestPaths.DbrxTiny);
        var reader = new WeightReader(checkpoint, config, ComputePlacement.Cpu);
        var live = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        reader.Expert(layer: 1, expert: 5).Dispose();
        Assert.Equal(live, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void AnExpertHostOfAPerExpertLayoutReadsOnlyItsThreeTensors()
    {
        var path = FixtureCases.Path("qwen3_moe");
        using var checkpoint = SafetensorsCheckpoint.Open(path);
        var config = ModelConfigReader.ReadDirectory(path);
        using var expert = new WeightReader(checkpoint, config, ComputePlacement.Cpu).Expert(layer: 0, expert: 7);
        Assert.Equal(3L * config.Moe.IntermediateSize * config.HiddenSize * 2, checkpoint.BytesRead);
    }

    [Fact]
    public void ADenseLayerHasNoExperts()
    {
        using var directory = new TemporaryDirectory();
        var config = TinyModels.Write(directory.Path, "qwen2_moe", new RandomCheckpoint.Options(), new JsonObject { ["mlp_only_layers"] = new JsonArray(0) });
        using var checkpoint = SafetensorsCheckpoint.Open(directory.Path);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WeightReader(checkpoint, config, ComputePlacement.Cpu).Expert(0, 1));
        Assert.Contains("is a dense layer", error.Message);
    }

    [Fact]
    public void ATensorWhoseShapeDisagreesWithTheConfigIsNamed()
    {
        using var directory = new TemporaryDirectory();
        TinyModels.Write(directory.Path, "dbrx", new RandomCheckpoint.Options(), new JsonObject { ["vocab_size"] = 500 });
        var config = ModelConfigReader.Merged(ModelFamilies.TinyConfig("dbrx"),
            new JsonObject { ["vocab_size"] = 500, ["ffn_config"] = new JsonObject { ["ffn_hidden_size"] = 16 } });
        File.WriteAllText(Path.Combine(directory.Path, "config.json"), config.ToJsonString());
        var error = Assert.Throws<CheckpointException>(() => ReferenceEngine.Load(directory.Path, ComputePlacement.Cpu));
        Assert.Contains("tensor 'transformer.blocks.0.ffn.experts.mlp.w2' has shape [512, 64], but the config needs [256, 64]", error.Message);
    }

    [Fact]
    public void AMissingTensorIsNamed()
    {
        using var directory = new TemporaryDirectory();
        TinyModels.Write(directory.Path, "qwen2_moe", new RandomCheckpoint.Options(), new JsonObject { ["qkv_bias"] = false });
        var config = ModelConfigReader.Merged(ModelFamilies.TinyConfig("qwen2_moe"), new JsonObject { ["qkv_bias"] = true });
        File.WriteAllText(Path.Combine(directory.Path, "config.json"), config.ToJsonString());
        var error = Assert.Throws<CheckpointException>(() => ReferenceEngine.Load(directory.Path, ComputePlacement.Cpu));
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", error.Message);
    }
}
