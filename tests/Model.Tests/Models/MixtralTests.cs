using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Models;

namespace Rex.Model.Tests.Models;

public sealed class MixtralTests : IDisposable
{
    readonly ConfigFile file = new();

    public void Dispose() => file.Dispose();

    [Fact]
    public void ReadsTheFixtureConfig()
    {
        var config = ModelConfigReader.ReadDirectory(Rex.Tests.FixtureCases.Path("mixtral"));
        Assert.Equal((64, 2, 512, 32768), (config.HiddenSize, config.NumLayers, config.VocabSize, config.MaxPositionEmbeddings));
        Assert.Equal((4, 2, 16, 1e6, false), (config.Attention.NumHeads, config.Attention.NumKvHeads, config.Attention.HeadDim, config.Attention.RopeTheta,
            config.Attention.QkvBias));
        Assert.Equal((4, 2, 128, (double?)1), (config.Moe.NumExperts, config.Moe.TopK, config.Moe.IntermediateSize, config.Moe.NormalizeTopKP));
        Assert.Equal(new NormConfig(NormKind.RmsNorm, 1e-5), config.Norm);
        Assert.Equal([2], config.EosTokenIds);
        var experts = Assert.IsType<PerExpertTensorNames>(config.Tensors.Experts);
        Assert.Equal("model.layers.1.block_sparse_moe.experts.3.w3", experts.Up(1, 3));
    }

    [Fact]
    public void AbsentFieldsTakeTransformersDefaults()
    {
        var config = file.Read("""{"model_type": "mixtral"}""");
        Assert.Equal((4096, 32, 32000, 131072), (config.HiddenSize, config.NumLayers, config.VocabSize, config.MaxPositionEmbeddings));
        Assert.Equal((32, 8, 128), (config.Attention.NumHeads, config.Attention.NumKvHeads, config.Attention.HeadDim));
        Assert.Equal((8, 2, 14336), (config.Moe.NumExperts, config.Moe.TopK, config.Moe.IntermediateSize));
        Assert.False(config.TieWordEmbeddings);
    }

    [Fact]
    public void TheTinyConfigHasTheFixturesShapes()
    {
        var tiny = ModelConfigReader.Read(ModelFamilies.TinyConfig("mixtral"), "tiny");
        var fixture = ModelConfigReader.ReadDirectory(Rex.Tests.FixtureCases.Path("mixtral"));
        Assert.Equal((fixture.HiddenSize, fixture.VocabSize, fixture.Attention, fixture.Moe), (tiny.HiddenSize, tiny.VocabSize, tiny.Attention, tiny.Moe));
    }

    [Theory]
    [InlineData("""{"model_type": "mixtral", "sliding_window": 4096}""", "sliding_window enables sliding-window attention, which Rex does not implement yet")]
    [InlineData("""{"model_type": "mixtral", "num_local_experts": 2, "num_experts_per_tok": 3}""", "num_experts_per_tok = 3 must not exceed num_local_experts (2)")]
    [InlineData("""{"model_type": "mixtral", "hidden_act": "swish2"}""", "hidden_act 'swish2' is not supported")]
    [InlineData("""{"model_type": "mixtral", "rope_scaling": {"type": "linear", "factor": 2}}""", "rope_scaling.rope_type 'linear' is not supported")]
    public void UnsupportedOrInconsistentFieldsAreNamed(string json, string message) => Assert.Contains(message, file.Rejects(json).Message);
}
