using Rex.Model.Config;

namespace Rex.Model.Tests.Models;

public sealed class Qwen2MoeTests : IDisposable
{
    readonly ConfigFile file = new();

    public void Dispose() => file.Dispose();

    [Fact]
    public void ReadsTheFixtureConfig()
    {
        var config = ModelConfigReader.ReadDirectory(Rex.Tests.FixtureCases.Path("qwen2_moe"));
        Assert.Equal((true, false, 16), (config.Attention.QkvBias, config.Attention.OutputBias, config.Attention.HeadDim));
        Assert.Equal((8, 2, 32, (double?)null), (config.Moe.NumExperts, config.Moe.TopK, config.Moe.IntermediateSize, config.Moe.NormalizeTopKP));
        Assert.Equal((96, true), (config.Moe.SharedExpertIntermediateSize, config.Moe.SharedExpertGated));
        Assert.Empty(config.DenseLayers);
        Assert.Equal(new NormConfig(NormKind.RmsNorm, 1e-6), config.Norm);
    }

    [Fact]
    public void DenseLayersFollowMlpOnlyLayersAndTheSparseStep()
    {
        var config = file.Read("""{"model_type": "qwen2_moe", "num_hidden_layers": 6, "decoder_sparse_step": 2, "mlp_only_layers": [3, 9], "intermediate_size": 40}""");
        Assert.Equal([0, 2, 3, 4], config.DenseLayers);
        Assert.Equal([1, 5], config.MoeLayers);
        Assert.Equal(40, config.DenseIntermediateSize);
        Assert.True(file.Read("""{"model_type": "qwen2_moe", "norm_topk_prob": true}""").Moe.NormalizeTopKP == 1);
    }

    [Fact]
    public void AbsentFieldsTakeTransformersDefaults()
    {
        var config = file.Read("""{"model_type": "qwen2_moe"}""");
        Assert.Equal((2048, 24, 151936), (config.HiddenSize, config.NumLayers, config.VocabSize));
        Assert.Equal((60, 4, 1408, 5632), (config.Moe.NumExperts, config.Moe.TopK, config.Moe.IntermediateSize, config.Moe.SharedExpertIntermediateSize));
        Assert.Equal((16, 16, true), (config.Attention.NumHeads, config.Attention.NumKvHeads, config.Attention.QkvBias));
    }

    [Theory]
    [InlineData("""{"model_type": "qwen2_moe", "use_sliding_window": true}""", "use_sliding_window enables sliding-window attention")]
    [InlineData("""{"model_type": "qwen2_moe", "decoder_sparse_step": 0}""", "decoder_sparse_step = 0 must be at least 1")]
    [InlineData("""{"model_type": "qwen2_moe", "num_hidden_layers": 2, "mlp_only_layers": [0, 1]}""", "mlp_only_layers = [0, 1] leaves no MoE layer")]
    [InlineData("""{"model_type": "qwen2_moe", "mlp_only_layers": "all"}""", "mlp_only_layers must be a list of integers")]
    public void UnsupportedOrInconsistentFieldsAreNamed(string json, string message) => Assert.Contains(message, file.Rejects(json).Message);
}
