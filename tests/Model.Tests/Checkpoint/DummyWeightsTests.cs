using Rex.Model.Checkpoint;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Sampling;
using Rex.Model.TinyModel;
using Rex.Tests;
using static TorchSharp.torch;

namespace Rex.Model.Tests.Checkpoint;

public sealed class DummyWeightsTests
{
    static readonly Rex.Model.Config.DbrxConfig Config = BuiltInModel.Config;
    static readonly long[] Fused = [(long)Config.NumExperts * Config.FfnHiddenSize, Config.DModel];

    [Fact]
    public void EveryInstanceDrawsTheSameValuesForTheSameRequest()
    {
        using var first = new DummyWeights(Config);
        using var second = new DummyWeights(Config);
        using var wqkv = first.Load(DbrxTensorNames.Wqkv(1), [Config.QkvDim, Config.DModel], ScalarType.Float32, CPU);
        using var wqkvAgain = second.Load(DbrxTensorNames.Wqkv(1), [Config.QkvDim, Config.DModel], ScalarType.Float32, CPU);
        Assert.True(Same(wqkv, wqkvAgain));

        using var expert3 = first.LoadRows(DbrxTensorNames.ExpertW1(0), Fused, 3L * Config.FfnHiddenSize, Config.FfnHiddenSize, ScalarType.BFloat16, CPU);
        using var expert3Again = second.LoadRows(DbrxTensorNames.ExpertW1(0), Fused, 3L * Config.FfnHiddenSize, Config.FfnHiddenSize, ScalarType.BFloat16, CPU);
        using var expert4 = first.LoadRows(DbrxTensorNames.ExpertW1(0), Fused, 4L * Config.FfnHiddenSize, Config.FfnHiddenSize, ScalarType.BFloat16, CPU);
        using var v1Expert3 = first.LoadRows(DbrxTensorNames.ExpertV1(0), Fused, 3L * Config.FfnHiddenSize, Config.FfnHiddenSize, ScalarType.BFloat16, CPU);
        Assert.Equal(ScalarType.BFloat16, expert3.dtype);
        Assert.Equal([Config.FfnHiddenSize, Config.DModel], expert3.shape);
        Assert.True(Same(expert3, expert3Again));
        Assert.False(Same(expert3, expert4));
        Assert.False(Same(expert3, v1Expert3));
    }

    [Fact]
    public void EachTensorIsDrawnFromItsInitScheme()
    {
        using var weights = new DummyWeights(Config);
        using var norm = weights.Load(DbrxTensorNames.FfnNorm(0), [Config.DModel], ScalarType.Float32, CPU);
        using var embedding = weights.Load(DbrxTensorNames.Embedding, [Config.VocabSize, Config.DModel], ScalarType.Float32, CPU);
        using var w2 = weights.LoadRows(DbrxTensorNames.ExpertW2(1), Fused, 0, Config.FfnHiddenSize, ScalarType.Float32, CPU);
        Assert.InRange(norm.mean().item<float>(), 0.95, 1.05);
        Assert.InRange(embedding.std().item<float>(), 0.99, 1.01);
        Assert.InRange(w2.std().item<float>() * Math.Sqrt(Config.FfnHiddenSize), 0.9, 1.1);
    }

    [Fact]
    public void ARequestTheConfigDoesNotDescribeIsNamed()
    {
        using var weights = new DummyWeights(Config);
        var shape = Assert.Throws<CheckpointException>(() => weights.Load(DbrxTensorNames.LmHead, [Config.VocabSize, 32], ScalarType.Float32, CPU));
        Assert.Contains("tensor 'lm_head.weight' has shape [100352, 64], not [100352, 32]", shape.Message);
        var layer = Assert.Throws<CheckpointException>(() => weights.Load(DbrxTensorNames.FfnNorm(Config.NumLayers), [Config.DModel], ScalarType.Float32, CPU));
        Assert.Contains($"no tensor '{DbrxTensorNames.FfnNorm(Config.NumLayers)}'", layer.Message);
        var rows = Assert.Throws<CheckpointException>(() => weights.LoadRows(DbrxTensorNames.ExpertW1(0), Fused, Fused[0] - 1, 2, ScalarType.Float32, CPU));
        Assert.Contains("has no rows [511, 513)", rows.Message);
    }

    [Fact]
    public void AConfigOnlyDirectoryServesWithDummyWeightsAndNeedsItsCheckpointOtherwise()
    {
        using var directory = new TemporaryDirectory();
        File.WriteAllText(directory.File("config.json"), RandomDbrxCheckpoint.ConfigJson(Config).ToJsonString());
        var sampling = new SamplingParams { MaxTokens = 8, IgnoreEos = true };
        int[] prompt = [791, 4062, 14198, 39935, 35308];

        using var engine = ReferenceEngine.Load(directory.Path, ComputePlacement.Cpu, LoadFormat.Dummy);
        using var again = ReferenceEngine.Load(directory.Path, ComputePlacement.Cpu, LoadFormat.Dummy);
        var tokens = engine.Generate([new GenerationRequest(prompt, sampling)])[0].TokenIds;
        Assert.Equal(tokens, again.Generate([new GenerationRequest(prompt, sampling)])[0].TokenIds);
        var logits = engine.PromptLogits(prompt)[^1];
        Assert.All(logits, l => Assert.True(float.IsFinite(l)));
        Assert.True(logits.Max() - logits.Min() > 1, "the dummy model's logits are flat");

        var error = Assert.Throws<CheckpointException>(() => ReferenceEngine.Load(directory.Path, ComputePlacement.Cpu));
        Assert.Contains("no model.safetensors or model.safetensors.index.json", error.Message);
    }

    static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    [Fact]
    public void LoadFormatsAreNamedAsVllmNamesThem()
    {
        Assert.Equal(LoadFormat.Safetensors, LoadFormats.Parse("auto"));
        Assert.Equal(LoadFormat.Safetensors, LoadFormats.Parse("safetensors"));
        Assert.Equal(LoadFormat.Dummy, LoadFormats.Parse("DUMMY"));
        var error = Assert.Throws<ArgumentException>(() => LoadFormats.Parse("pt"));
        Assert.Contains("load format 'pt' is not one of auto, safetensors, dummy", error.Message);
    }
}
