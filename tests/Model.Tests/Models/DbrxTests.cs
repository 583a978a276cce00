using Rex.Model.Config;
using Rex.Model.Models;
using Rex.Model.TinyModel;
using Rex.Tests;

namespace Rex.Model.Tests.Models;

public sealed class DbrxTests : IDisposable
{
    readonly ConfigFile file = new();

    public void Dispose() => file.Dispose();

    [Fact]
    public void ReadsTheFixtureConfig()
    {
        var config = ModelConfigReader.ReadDirectory(TestPaths.DbrxTiny);
        var (a, m) = (config.Attention, config.Moe);
        Assert.Equal(("dbrx", 64, 2, 100352), (config.ModelType, config.HiddenSize, config.NumLayers, config.VocabSize));
        Assert.Equal((4, 2, 16, 8.0, 500000.0), (a.NumHeads, a.NumKvHeads, a.HeadDim, a.ClipQkv, a.RopeTheta));
        Assert.Equal((16, 4, 32, (double?)1.0, ExpertActivation.Silu), (m.NumExperts, m.TopK, m.IntermediateSize, m.NormalizeTopKP, m.Activation));
        Assert.Equal(new NormConfig(NormKind.LayerNorm, 1e-5), config.Norm);
        Assert.IsType<Rex.Model.Checkpoint.FusedQkvTensorNames>(config.Tensors.Qkv);
        Assert.Equal([100257, 100279], config.EosTokenIds);
    }

    [Fact]
    public void AbsentFieldsTakeTransformersDefaults()
    {
        var config = file.Read("""{"model_type": "dbrx"}""");
        Assert.Equal((2048, 16, 24, 2048, 32000), (config.HiddenSize, config.Attention.NumHeads, config.NumLayers, config.MaxPositionEmbeddings, config.VocabSize));
        Assert.Equal((1, (double?)null, 10000.0), (config.Attention.NumKvHeads, config.Attention.ClipQkv, config.Attention.RopeTheta));
        Assert.Equal((3584, 4, 1, (double?)1.0), (config.Moe.IntermediateSize, config.Moe.NumExperts, config.Moe.TopK, config.Moe.NormalizeTopKP));
    }

    [Fact]
    public void AbsentClipQkvMeansNoClipping() =>
        Assert.Null(file.Read("""{"model_type": "dbrx", "attn_config": {"kv_n_heads": 4}}""").Attention.ClipQkv);

    [Fact]
    public void NullClipQkvMeansNoClipping() =>
        Assert.Null(file.Read("""{"model_type": "dbrx", "attn_config": {"clip_qkv": null}}""").Attention.ClipQkv);

    [Theory]
    [InlineData("null", null)]
    [InlineData("1", 1.0)]
    [InlineData("2.0", 2.0)]
    [InlineData("0.5", 0.5)]
    public void ReadsEveryFormOfExpertWeightNormalisation(string json, double? expected) =>
        Assert.Equal(expected, file.Read($$$"""{"model_type": "dbrx", "ffn_config": {"moe_normalize_expert_weights": {{{json}}}}}""").Moe.NormalizeTopKP);

    [Fact]
    public void AbsentExpertWeightNormalisationIsTheL1Default() =>
        Assert.Equal(1.0, file.Read("""{"model_type": "dbrx", "ffn_config": {"moe_top_k": 2}}""").Moe.NormalizeTopKP);

    [Theory]
    [InlineData("silu", ExpertActivation.Silu)]
    [InlineData("gelu", ExpertActivation.Gelu)]
    [InlineData("gelu_pytorch_tanh", ExpertActivation.GeluTanh)]
    [InlineData("relu", ExpertActivation.Relu)]
    public void ReadsTheExpertActivation(string name, ExpertActivation expected) =>
        Assert.Equal(expected, file.Read($$$$"""{"model_type": "dbrx", "ffn_config": {"ffn_act_fn": {"name": "{{{{name}}}}"}}}""").Moe.Activation);

    [Fact]
    public void RopeThetaMayComeFromTransformers5RopeParameters()
    {
        Assert.Equal(500000.0, file.Read("""{"model_type": "dbrx", "rope_parameters": {"rope_theta": 500000, "rope_type": "default"}}""").Attention.RopeTheta);
        Assert.Equal(250000.0, file.Read("""{"model_type": "dbrx", "attn_config": {"rope_theta": 250000}}""").Attention.RopeTheta);
        Assert.Contains("rope_parameters.rope_type 'yarn' is not supported",
            file.Rejects("""{"model_type": "dbrx", "rope_parameters": {"rope_theta": 1, "rope_type": "yarn"}}""").Message);
    }

    [Fact]
    public void IntegralFloatsAreAcceptedForIntegerFields() =>
        Assert.Equal(64, file.Read("""{"model_type": "dbrx", "d_model": 64.0, "n_heads": 4}""").HiddenSize);

    [Fact]
    public void TheTinyConfigIsTheBuiltInModelsAndTheFixturesShape()
    {
        var tiny = ModelConfigReader.Read(ModelFamilies.TinyConfig("dbrx"), "tiny");
        var fixture = ModelConfigReader.ReadDirectory(TestPaths.DbrxTiny);
        Assert.Equal((fixture.HiddenSize, fixture.NumLayers, fixture.VocabSize, fixture.Attention, fixture.Moe),
            (tiny.HiddenSize, tiny.NumLayers, tiny.VocabSize, tiny.Attention, tiny.Moe));
        Assert.Equal(tiny.Moe, BuiltInModel.Config.Moe);
    }

    [Theory]
    [InlineData("""{"model_type": "dbrx", "d_model": 64, "n_heads": 6}""", "d_model = 64 must be divisible by n_heads (6)")]
    [InlineData("""{"model_type": "dbrx", "d_model": 60, "n_heads": 4}""", "d_model / n_heads = 15 must be even")]
    [InlineData("""{"model_type": "dbrx", "d_model": 64, "n_heads": 4, "attn_config": {"kv_n_heads": 3}}""", "attn_config.kv_n_heads = 3 must divide n_heads (4)")]
    [InlineData("""{"model_type": "dbrx", "ffn_config": {"moe_num_experts": 4, "moe_top_k": 5}}""", "ffn_config.moe_top_k = 5 must not exceed ffn_config.moe_num_experts (4)")]
    [InlineData("""{"model_type": "dbrx", "ffn_config": {"moe_normalize_expert_weights": 0}}""", "ffn_config.moe_normalize_expert_weights = 0")]
    [InlineData("""{"model_type": "dbrx", "attn_config": {"clip_qkv": -1}}""", "attn_config.clip_qkv = -1")]
    [InlineData("""{"model_type": "dbrx", "attn_config": {"rope_theta": "big"}}""", "attn_config.rope_theta must be a number")]
    [InlineData("""{"model_type": "dbrx", "n_layers": 2.5}""", "n_layers must be an integer")]
    [InlineData("""{"model_type": "dbrx", "ffn_config": {"ffn_act_fn": {"name": "swiglu_magic"}}}""", "ffn_config.ffn_act_fn.name 'swiglu_magic' is not supported")]
    [InlineData("""{"model_type": "dbrx", "tie_word_embeddings": true}""", "tie_word_embeddings = true is not supported")]
    [InlineData("""{"model_type": "dbrx", "attn_config": 5}""", "attn_config must be an object")]
    [InlineData("""{"model_type": "dbrx", """, "invalid JSON")]
    [InlineData("""[1, 2]""", "top level must be a JSON object")]
    public void InconsistentOrMalformedConfigsAreRejectedNamingFileAndField(string json, string message)
    {
        var error = file.Rejects(json);
        Assert.Contains(message, error.Message);
        Assert.Contains(file.Path, error.Message);
    }
}
