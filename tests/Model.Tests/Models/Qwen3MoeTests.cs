using Rex.Model.Config;

namespace Rex.Model.Tests.Models;

public sealed class Qwen3MoeTests : IDisposable
{
    readonly ConfigFile file = new();

    public void Dispose() => file.Dispose();

    [Fact]
    public void ReadsTheFixtureConfigWithItsExplicitHeadSize()
    {
        var config = ModelConfigReader.ReadDirectory(Rex.Tests.FixtureCases.Path("qwen3_moe"));
        Assert.Equal((64, 32, 128, 64), (config.HiddenSize, config.Attention.HeadDim, config.Attention.QDim, config.Attention.KvDim));
        Assert.Equal(QkNormKind.PerHead, config.Attention.QkNorm);
        Assert.Equal((8, 2, 48, (double?)1), (config.Moe.NumExperts, config.Moe.TopK, config.Moe.IntermediateSize, config.Moe.NormalizeTopKP));
        Assert.False(config.Moe.HasSharedExpert);
        Assert.Equal([562], config.EosTokenIds);
    }

    [Fact]
    public void AbsentFieldsTakeTransformersDefaults()
    {
        var config = file.Read("""{"model_type": "qwen3_moe"}""");
        Assert.Equal((2048, 24, 151936), (config.HiddenSize, config.NumLayers, config.VocabSize));
        Assert.Equal((32, 4, 64, false), (config.Attention.NumHeads, config.Attention.NumKvHeads, config.Attention.HeadDim, config.Attention.QkvBias));
        Assert.Equal((128, 8, 768, (double?)null), (config.Moe.NumExperts, config.Moe.TopK, config.Moe.IntermediateSize, config.Moe.NormalizeTopKP));
        Assert.Equal([3], file.Read("""{"model_type": "qwen3_moe", "num_hidden_layers": 4, "mlp_only_layers": [3]}""").DenseLayers);
        Assert.Equal((true, true), (file.Read("""{"model_type": "qwen3_moe", "attention_bias": true}""") is var b ? (b.Attention.QkvBias, b.Attention.OutputBias) : default));
    }

    [Theory]
    [InlineData("""{"model_type": "qwen3_moe", "head_dim": 7}""", "head_dim = 7 must be even")]
    [InlineData("""{"model_type": "qwen3_moe", "use_sliding_window": true}""", "use_sliding_window enables sliding-window attention")]
    public void UnsupportedOrInconsistentFieldsAreNamed(string json, string message) => Assert.Contains(message, file.Rejects(json).Message);
}
