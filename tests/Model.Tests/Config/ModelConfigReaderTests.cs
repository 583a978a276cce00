using System.Text.Json.Nodes;
using Rex.Model.Config;
using Rex.Model.Tests.Models;
using Rex.Tests;

namespace Rex.Model.Tests.Config;

public sealed class ModelConfigReaderTests : IDisposable
{
    readonly ConfigFile file = new();

    public void Dispose() => file.Dispose();

    [Theory]
    [InlineData("dbrx", "DbrxForCausalLM")]
    [InlineData("mixtral", "MixtralForCausalLM")]
    [InlineData("qwen2_moe", "Qwen2MoeForCausalLM")]
    [InlineData("qwen3_moe", "Qwen3MoeForCausalLM")]
    [InlineData("olmoe", "OlmoeForCausalLM")]
    public void TheFamilyComesFromModelTypeOrElseArchitectures(string modelType, string architecture)
    {
        Assert.Equal(modelType, file.Read($$"""{"model_type": "{{modelType}}"}""").ModelType);
        Assert.Equal(modelType, file.Read($$"""{"architectures": ["{{architecture}}"]}""").ModelType);
    }

    [Theory]
    [InlineData("""{"model_type": "llama"}""", "model_type 'llama' is not supported; Rex serves dbrx (DbrxForCausalLM), mixtral (MixtralForCausalLM)")]
    [InlineData("""{"d_model": 64}""", "model_type is missing and architectures [] names no supported family")]
    [InlineData("""{"architectures": ["GPT2LMHeadModel"]}""", "architectures [GPT2LMHeadModel] names no supported family")]
    public void AnUnknownFamilyIsRefusedNamingTheSupportedOnes(string json, string message) =>
        Assert.Contains(message, file.Rejects(json).Message);

    [Fact]
    public void OverridesMergeIntoTheFileAsVllmsHfOverrides()
    {
        File.WriteAllText(file.Path, """{"model_type": "dbrx", "n_layers": 40, "attn_config": {"kv_n_heads": 8, "clip_qkv": 8}}""");
        var config = ModelConfigReader.ReadDirectory(file.Directory, new JsonObject { ["n_layers"] = 4, ["attn_config"] = new JsonObject { ["clip_qkv"] = null } });
        Assert.Equal((4, 8, (double?)null), (config.NumLayers, config.Attention.NumKvHeads, config.Attention.ClipQkv));
        var error = Assert.Throws<ModelConfigException>(() => ModelConfigReader.ReadDirectory(file.Directory, new JsonObject { ["n_layers"] = 0 }));
        Assert.Contains("with overrides {\"n_layers\":0}: n_layers = 0 must be positive", error.Message);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("{\"num_hidden_layers\": 4}", "{\"num_hidden_layers\":4}")]
    public void HfOverridesParseAJsonObject(string text, string? expected) =>
        Assert.Equal(expected, HfOverrides.Parse(text, "--hf-overrides")?.ToJsonString());

    [Theory]
    [InlineData("[1]", "--hf-overrides must be a JSON object")]
    [InlineData("{num_hidden_layers: 4}", "--hf-overrides is not valid JSON")]
    public void HfOverridesThatAreNoJsonObjectAreNamed(string text, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => HfOverrides.Parse(text, "--hf-overrides")).Message);

    [Fact]
    public void AMissingConfigNamesTheFile()
    {
        var error = Assert.Throws<ModelConfigException>(() => ModelConfigReader.ReadDirectory(file.Directory));
        Assert.Contains("config.json: file not found", error.Message);
    }

    [Fact]
    public void GenerationConfigEosMayBeOneIdOrAListAndFallsBackToTheModelConfigs()
    {
        var config = file.Read("""{"model_type": "mixtral", "eos_token_id": 2}""");
        var generation = Path.Combine(file.Directory, GenerationConfig.FileName);
        File.WriteAllText(generation, """{"eos_token_id": 7}""");
        Assert.Equal([7], GenerationConfig.ReadDirectory(file.Directory, config).EosTokenIds);
        File.WriteAllText(generation, """{"eos_token_id": [1, 2]}""");
        Assert.Equal([1, 2], GenerationConfig.ReadDirectory(file.Directory, config).EosTokenIds);
        File.Delete(generation);
        Assert.Equal([2], GenerationConfig.ReadDirectory(file.Directory, config).EosTokenIds);
        Assert.Equal([100257, 100279], GenerationConfig.ReadDirectory(file.Directory, file.Read("""{"model_type": "dbrx"}""")).EosTokenIds);
        Assert.Equal([100257, 100279], GenerationConfig.ReadDirectory(TestPaths.DbrxTiny, ModelConfigReader.ReadDirectory(TestPaths.DbrxTiny)).EosTokenIds);
    }
}
