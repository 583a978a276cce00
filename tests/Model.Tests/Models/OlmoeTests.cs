using Rex.Model.Config;

namespace Rex.Model.Tests.Models;

public sealed class OlmoeTests : IDisposable
{
    readonly ConfigFile file = new();

    public void Dispose() => file.Dispose();

    [Fact]
    public void ReadsTheFixtureConfig()
    {
        var config = ModelConfigReader.ReadDirectory(Rex.Tests.FixtureCases.Path("olmoe"));
        Assert.Equal((QkNormKind.Full, (double?)null, 10000.0), (config.Attention.QkNorm, config.Attention.ClipQkv, config.Attention.RopeTheta));
        Assert.Equal((8, 2, 32, (double?)null), (config.Moe.NumExperts, config.Moe.TopK, config.Moe.IntermediateSize, config.Moe.NormalizeTopKP));
        Assert.Equal(new NormConfig(NormKind.RmsNorm, 1e-5), config.Norm);
        Assert.Equal([680], config.EosTokenIds);
    }

    [Fact]
    public void AbsentFieldsTakeTransformersDefaults()
    {
        var config = file.Read("""{"model_type": "olmoe", "num_attention_heads": 8}""");
        Assert.Equal((2048, 16, 50304, 4096), (config.HiddenSize, config.NumLayers, config.VocabSize, config.MaxPositionEmbeddings));
        Assert.Equal((8, 8), (config.Attention.NumHeads, config.Attention.NumKvHeads));
        Assert.Equal((64, 8, 2048), (config.Moe.NumExperts, config.Moe.TopK, config.Moe.IntermediateSize));
        Assert.Equal(4.5, file.Read("""{"model_type": "olmoe", "clip_qkv": 4.5}""").Attention.ClipQkv);
    }

    [Theory]
    [InlineData("""{"model_type": "olmoe", "clip_qkv": -2}""", "clip_qkv = -2 must be non-negative")]
    [InlineData("""{"model_type": "olmoe", "intermediate_size": 0}""", "intermediate_size = 0 must be positive")]
    public void InconsistentFieldsAreNamed(string json, string message) => Assert.Contains(message, file.Rejects(json).Message);
}
