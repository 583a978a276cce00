using System.Text.Json.Nodes;
using Rex.Model.Config;
using Rex.Model.TinyModel;
using Rex.Tests;

namespace Rex.Model.Tests.Config;

public sealed class DbrxConfigReaderTests : IDisposable
{
    readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    DbrxConfig Read(string json)
    {
        File.WriteAllText(directory.File("config.json"), json);
        return DbrxConfigReader.ReadDirectory(directory.Path);
    }

    ModelConfigException Rejects(string json) => Assert.Throws<ModelConfigException>(() => Read(json));

    [Fact]
    public void ReadsTheFixtureConfig()
    {
        var config = DbrxConfigReader.ReadDirectory(TestPaths.DbrxTiny);
        Assert.Equal((64, 4, 2, 2, 100352), (config.DModel, config.NumHeads, config.NumKvHeads, config.NumLayers, config.VocabSize));
        Assert.Equal((16, 4, 32), (config.NumExperts, config.TopK, config.FfnHiddenSize));
        Assert.Equal(8.0, config.ClipQkv);
        Assert.Equal(500000.0, config.RopeTheta);
        Assert.Equal(1.0, config.ExpertWeightNormP);
        Assert.Equal(ExpertActivation.Silu, config.Activation);
    }

    [Fact]
    public void AbsentFieldsTakeTransformersDefaults()
    {
        var config = Read("""{"model_type": "dbrx"}""");
        Assert.Equal(new DbrxConfig(), config);
        Assert.Equal((2048, 16, 24, 2048, 32000), (config.DModel, config.NumHeads, config.NumLayers, config.MaxSeqLen, config.VocabSize));
        Assert.Equal((1, (double?)null, 10000.0), (config.NumKvHeads, config.ClipQkv, config.RopeTheta));
        Assert.Equal((3584, 4, 1, (double?)1.0), (config.FfnHiddenSize, config.NumExperts, config.TopK, config.ExpertWeightNormP));
    }

    [Fact]
    public void AbsentClipQkvMeansNoClipping() =>
        Assert.Null(Read("""{"model_type": "dbrx", "attn_config": {"kv_n_heads": 4}}""").ClipQkv);

    [Fact]
    public void NullClipQkvMeansNoClipping() =>
        Assert.Null(Read("""{"model_type": "dbrx", "attn_config": {"clip_qkv": null}}""").ClipQkv);

    [Theory]
    [InlineData("null", null)]
    [InlineData("1", 1.0)]
    [InlineData("2.0", 2.0)]
    [InlineData("0.5", 0.5)]
    public void ReadsEveryFormOfExpertWeightNormalisation(string json, double? expected) =>
        Assert.Equal(expected, Read($$$"""{"model_type": "dbrx", "ffn_config": {"moe_normalize_expert_weights": {{{json}}}}}""").ExpertWeightNormP);

    [Fact]
    public void AbsentExpertWeightNormalisationIsTheL1Default() =>
        Assert.Equal(1.0, Read("""{"model_type": "dbrx", "ffn_config": {"moe_top_k": 2}}""").ExpertWeightNormP);

    [Theory]
    [InlineData("silu", ExpertActivation.Silu)]
    [InlineData("gelu", ExpertActivation.Gelu)]
    [InlineData("gelu_pytorch_tanh", ExpertActivation.GeluTanh)]
    [InlineData("relu", ExpertActivation.Relu)]
    public void ReadsTheExpertActivation(string name, ExpertActivation expected) =>
        Assert.Equal(expected, Read($$$$"""{"model_type": "dbrx", "ffn_config": {"ffn_act_fn": {"name": "{{{{name}}}}"}}}""").Activation);

    [Fact]
    public void RopeThetaMayComeFromTransformers5RopeParameters()
    {
        Assert.Equal(500000.0, Read("""{"model_type": "dbrx", "rope_parameters": {"rope_theta": 500000, "rope_type": "default"}}""").RopeTheta);
        Assert.Equal(250000.0, Read("""{"model_type": "dbrx", "attn_config": {"rope_theta": 250000}}""").RopeTheta);
        Assert.Contains("rope_parameters.rope_type 'yarn' is not supported",
            Rejects("""{"model_type": "dbrx", "rope_parameters": {"rope_theta": 1, "rope_type": "yarn"}}""").Message);
    }

    [Fact]
    public void IntegralFloatsAreAcceptedForIntegerFields() =>
        Assert.Equal(64, Read("""{"model_type": "dbrx", "d_model": 64.0, "n_heads": 4}""").DModel);

    [Fact]
    public void WrittenConfigsReadBackUnchanged()
    {
        var config = BuiltInModel.Config with { ClipQkv = null, ExpertWeightNormP = null, Activation = ExpertActivation.Gelu };
        Assert.Equal(config, Read(RandomDbrxCheckpoint.ConfigJson(config).ToJsonString()));
    }

    [Theory]
    [InlineData("""{"model_type": "llama"}""", "model_type 'llama' is not supported")]
    [InlineData("""{"d_model": 64}""", "model_type is missing")]
    [InlineData("""{"model_type": "dbrx", "d_model": 64, "n_heads": 6}""", "d_model = 64 must be divisible by n_heads (6)")]
    [InlineData("""{"model_type": "dbrx", "d_model": 60, "n_heads": 4}""", "odd head size 15")]
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
        var error = Rejects(json);
        Assert.Contains(message, error.Message);
        Assert.Contains(directory.File("config.json"), error.Message);
    }

    [Fact]
    public void AMissingConfigNamesTheFile()
    {
        var error = Assert.Throws<ModelConfigException>(() => DbrxConfigReader.ReadDirectory(directory.Path));
        Assert.Contains("config.json: file not found", error.Message);
    }

    [Fact]
    public void GenerationConfigEosMayBeOneIdOrAList()
    {
        File.WriteAllText(directory.File(GenerationConfig.FileName), """{"eos_token_id": 7}""");
        Assert.Equal([7], GenerationConfig.ReadDirectory(directory.Path).EosTokenIds);
        File.WriteAllText(directory.File(GenerationConfig.FileName), """{"eos_token_id": [1, 2]}""");
        Assert.Equal([1, 2], GenerationConfig.ReadDirectory(directory.Path).EosTokenIds);
        File.Delete(directory.File(GenerationConfig.FileName));
        Assert.Equal([100257, 100279], GenerationConfig.ReadDirectory(directory.Path).EosTokenIds);
        Assert.Equal([100257, 100279], GenerationConfig.ReadDirectory(TestPaths.DbrxTiny).EosTokenIds);
    }
}
