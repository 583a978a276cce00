using System.Text.Json.Nodes;
using Rex.Model.Config;
using Rex.Model.Engine;
using Rex.Model.Models;
using Rex.Tests;

namespace Rex.Model.Tests.Engine;

public sealed class DecodeRooflineTests
{
    [Fact]
    public void AStepReadsEveryNonExpertWeightTheTouchedExpertsAndTheCache()
    {
        var config = ModelConfigReader.ReadDirectory(TestPaths.DbrxTiny);
        // Per layer: two norms (2 x 64), Wqkv (128 x 64), out_proj (64 x 64), router (16 x 64); the final norm; the LM head
        // (100352 x 64). At batch 1 four experts of 3 x 32 x 64 per layer, one embedding row, and 10 tokens of K and V
        // (2 KV heads x 16) in each of 2 layers. Float32.
        double weights = 2 * (128 + 8192 + 4096 + 1024) + 64 + 100352 * 64;
        double expected = 4 * (weights + 64 + 2 * 4 * 6144 + 2 * 2 * 10 * 32);
        Assert.Equal(expected, DecodeRoofline.StepBytes(config, batch: 1, contextTokens: 10, elementBytes: 4));
        // At batch 16, 16 (1 - (3/4)^16) of the 16 experts are touched on average.
        var touched = 16 * (1 - Math.Pow(0.75, 16));
        Assert.Equal(2 * (weights + 16 * 64 + 2 * touched * 6144 + 2 * 2 * 16 * 10 * 32), DecodeRoofline.StepBytes(config, 16, 10, 2), 6);
        Assert.Equal(16 * 30e9 / DecodeRoofline.StepBytes(config, 16, 10, 2), DecodeRoofline.TokensPerSecond(config, 16, 10, 2, 30e9), 6);
    }

    [Fact]
    public void ATiedHeadIsReadOnceAndDenseLayersHaveNoExperts()
    {
        var untied = ModelConfigReader.Read(ModelFamilies.TinyConfig("qwen2_moe"), "tiny");
        var tied = ModelConfigReader.Read(ModelConfigReader.Merged(ModelFamilies.TinyConfig("qwen2_moe"), new JsonObject { ["tie_word_embeddings"] = true }), "tiny");
        // The head is read whole either way; a tied one is not read twice.
        Assert.Equal(DecodeRoofline.StepBytes(untied, 1, 0, 1), DecodeRoofline.StepBytes(tied, 1, 0, 1));
        var dense = ModelConfigReader.Read(ModelConfigReader.Merged(ModelFamilies.TinyConfig("qwen2_moe"), new JsonObject { ["mlp_only_layers"] = new JsonArray(0) }), "tiny");
        // Layer 0 trades its router, shared expert and gate, and 2 touched experts for a dense MLP of intermediate_size 128.
        var moeLayer = 8 * 64 + 3 * 96 * 64 + 64 + 2 * 3 * 32 * 64;
        Assert.Equal(3 * 128 * 64 - moeLayer, DecodeRoofline.StepBytes(dense, 1, 0, 1) - DecodeRoofline.StepBytes(untied, 1, 0, 1), 6);
    }
}
