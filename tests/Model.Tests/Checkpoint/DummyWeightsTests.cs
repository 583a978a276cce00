using Rex.Model.Checkpoint;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Models;
using Rex.Model.Sampling;
using Rex.Model.TinyModel;
using Rex.Tests;
using static TorchSharp.torch;

namespace Rex.Model.Tests.Checkpoint;

public sealed class DummyWeightsTests
{
    static readonly Rex.Model.Config.ModelConfig Config = BuiltInModel.Config;
    static readonly int Ffn = Config.Moe.IntermediateSize;
    static readonly long D = Config.HiddenSize;
    static readonly long[] Fused = [(long)Config.Moe.NumExperts * Ffn, D];
    static readonly FusedExpertTensorNames Experts = (FusedExpertTensorNames)Config.Tensors.Experts;

    static string Wqkv(int layer) => ((FusedQkvTensorNames)Config.Tensors.Qkv).Qkv(layer) + ".weight";

    static string PostAttentionNorm(int layer) => Config.Tensors.PostAttentionNorm(layer) + ".weight";

    [Fact]
    public void EveryInstanceDrawsTheSameValuesForTheSameRequest()
    {
        using var first = new DummyWeights(Config);
        using var second = new DummyWeights(Config);
        using var wqkv = first.Load(Wqkv(1), [Config.Attention.QkvDim, D], ScalarType.Float32, CPU);
        using var wqkvAgain = second.Load(Wqkv(1), [Config.Attention.QkvDim, D], ScalarType.Float32, CPU);
        Assert.True(Same(wqkv, wqkvAgain));

        using var expert3 = first.LoadRows(Experts.Gate(0), Fused, 3L * Ffn, Ffn, ScalarType.BFloat16, CPU);
        using var expert3Again = second.LoadRows(Experts.Gate(0), Fused, 3L * Ffn, Ffn, ScalarType.BFloat16, CPU);
        using var expert4 = first.LoadRows(Experts.Gate(0), Fused, 4L * Ffn, Ffn, ScalarType.BFloat16, CPU);
        using var v1Expert3 = first.LoadRows(Experts.Up(0), Fused, 3L * Ffn, Ffn, ScalarType.BFloat16, CPU);
        Assert.Equal(ScalarType.BFloat16, expert3.dtype);
        Assert.Equal([Ffn, D], expert3.shape);
        Assert.True(Same(expert3, expert3Again));
        Assert.False(Same(expert3, expert4));
        Assert.False(Same(expert3, v1Expert3));
    }

    [Fact]
    public void EachTensorIsDrawnFromItsInitScheme()
    {
        using var weights = new DummyWeights(Config);
        using var norm = weights.Load(PostAttentionNorm(0), [D], ScalarType.Float32, CPU);
        using var embedding = weights.Load(Config.Tensors.Embedding + ".weight", [Config.VocabSize, D], ScalarType.Float32, CPU);
        using var w2 = weights.LoadRows(Experts.DownTransposed(1), Fused, 0, Ffn, ScalarType.Float32, CPU);
        Assert.InRange(norm.mean().item<float>(), 0.95, 1.05);
        Assert.InRange(embedding.std().item<float>(), 0.99, 1.01);
        Assert.InRange(w2.std().item<float>() * Math.Sqrt(Ffn), 0.9, 1.1);
    }

    [Fact]
    public void ARequestTheConfigDoesNotDescribeIsNamed()
    {
        using var weights = new DummyWeights(Config);
        var shape = Assert.Throws<CheckpointException>(() => weights.Load(Config.Tensors.LmHead + ".weight", [Config.VocabSize, 32], ScalarType.Float32, CPU));
        Assert.Contains("tensor 'lm_head.weight' has shape [100352, 64], not [100352, 32]", shape.Message);
        var layer = Assert.Throws<CheckpointException>(() => weights.Load(PostAttentionNorm(Config.NumLayers), [D], ScalarType.Float32, CPU));
        Assert.Contains($"no tensor '{PostAttentionNorm(Config.NumLayers)}'", layer.Message);
        var rows = Assert.Throws<CheckpointException>(() => weights.LoadRows(Experts.Gate(0), Fused, Fused[0] - 1, 2, ScalarType.Float32, CPU));
        Assert.Contains("has no rows [511, 513)", rows.Message);
    }

    [Fact]
    public void AConfigOnlyDirectoryServesWithDummyWeightsAndNeedsItsCheckpointOtherwise()
    {
        using var directory = new TemporaryDirectory();
        File.WriteAllText(directory.File("config.json"), ModelFamilies.TinyConfig(BuiltInModel.Family).ToJsonString());
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
