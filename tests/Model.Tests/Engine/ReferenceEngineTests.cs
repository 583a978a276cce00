using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Sampling;
using Rex.Model.TinyModel;
using Rex.Tests;

namespace Rex.Model.Tests.Engine;

public sealed class ReferenceEngineTests(FixtureEngines engines) : IClassFixture<FixtureEngines>
{
    static readonly int[] Prompt = [100257];

    // Greedy continuation of the fixture's first prompt (tests/fixtures/dbrx-tiny/expected.json).
    static readonly int[] Greedy = [1375, 14031, 14031, 91929, 58837, 75553, 34493, 24638, 84859, 36877, 39647, 30329];

    ReferenceEngine Engine => engines.For("dbrx");

    GenerationResult Generate(SamplingParams sampling, int[]? prompt = null) =>
        Engine.Generate([new GenerationRequest(prompt ?? Prompt, sampling)])[0];

    [Fact]
    public void MaxTokensEndsWithLength()
    {
        var result = Generate(new SamplingParams { MaxTokens = 5 });
        Assert.Equal(Greedy[..5], result.TokenIds);
        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(Engine.Tokenizer!.Decode(Greedy[..5]), result.Text);
    }

    [Fact]
    public void ReportsTheEndOfPrefillOnceForTheWholeBatch()
    {
        var prefills = 0;
        var results = Engine.Generate(
            [new GenerationRequest(Prompt, new SamplingParams { MaxTokens = 3 }), new GenerationRequest([1, 2, 3], new SamplingParams { MaxTokens = 2 })],
            () => prefills++);
        Assert.Equal(1, prefills);
        Assert.Equal(Greedy[..3], results[0].TokenIds);
    }

    [Fact]
    public void AStopTokenEndsTheGenerationAndIsReportedButNotPrinted()
    {
        var result = Generate(new SamplingParams { MaxTokens = 10, StopTokenIds = [14031] });
        Assert.Equal(Greedy[..2], result.TokenIds);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal(Engine.Tokenizer!.Decode(Greedy[..1]), result.Text);
    }

    [Fact]
    public void TheGenerationConfigsEosIdsStopByDefaultUnlessIgnored()
    {
        using var directory = new TemporaryDirectory();
        foreach (var file in Directory.GetFiles(TestPaths.DbrxTiny))
            File.CreateSymbolicLink(Path.Combine(directory.Path, Path.GetFileName(file)), file);
        File.Delete(directory.File("generation_config.json"));
        File.WriteAllText(directory.File("generation_config.json"), """{"eos_token_id": [14031]}""");
        using var engine = ReferenceEngine.Load(directory.Path, ComputePlacement.Cpu);
        var stopped = engine.Generate([new GenerationRequest(Prompt, new SamplingParams { MaxTokens = 10 })])[0];
        Assert.Equal(Greedy[..2], stopped.TokenIds);
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        var ignoring = engine.Generate([new GenerationRequest(Prompt, new SamplingParams { MaxTokens = 4, IgnoreEos = true })])[0];
        Assert.Equal(Greedy[..4], ignoring.TokenIds);
    }

    [Fact]
    public void AStopStringCutsTheTextBeforeIt()
    {
        var text = Engine.Tokenizer!.Decode(Greedy);
        var stop = text.Substring(text.Length / 2, 3);
        var result = Generate(new SamplingParams { MaxTokens = Greedy.Length, Stop = [stop] });
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], result.Text);
        Assert.True(result.TokenIds.Count < Greedy.Length);
        Assert.Equal(Greedy[..result.TokenIds.Count], result.TokenIds);
    }

    [Fact]
    public void TheSameSeedGivesTheSameTokensWhateverElseIsInTheBatch()
    {
        var sampling = new SamplingParams { MaxTokens = 12, Temperature = 1.0, TopP = 0.95, Seed = 1234 };
        var alone = Generate(sampling);
        var batched = Engine.Generate(
        [
            new GenerationRequest([791, 4062, 14198], sampling with { Seed = 99 }),
            new GenerationRequest(Prompt, sampling),
        ])[1];
        Assert.Equal(alone.TokenIds, batched.TokenIds);
        Assert.Equal(alone.TokenIds, Generate(sampling).TokenIds);
        Assert.NotEqual(alone.TokenIds, Generate(sampling with { Seed = 4321 }).TokenIds);
    }

    [Fact]
    public void TopKOfOneIsGreedy() =>
        Assert.Equal(Greedy[..6], Generate(new SamplingParams { MaxTokens = 6, Temperature = 1.5, TopK = 1, Seed = 5 }).TokenIds);

    [Theory]
    [InlineData("temperature")]
    [InlineData("top_p")]
    [InlineData("top_k")]
    [InlineData("max_tokens")]
    [InlineData("stop_token_ids")]
    [InlineData("stop")]
    public void InvalidSamplingParametersAreNamed(string parameter)
    {
        var sampling = parameter switch
        {
            "temperature" => new SamplingParams { Temperature = -0.5 },
            "top_p" => new SamplingParams { TopP = 0 },
            "top_k" => new SamplingParams { TopK = -3 },
            "max_tokens" => new SamplingParams { MaxTokens = 0 },
            "stop_token_ids" => new SamplingParams { StopTokenIds = [200_000] },
            _ => new SamplingParams { Stop = [""] },
        };
        var error = Assert.Throws<ArgumentException>(() => Generate(sampling));
        Assert.Equal(parameter, error.ParamName);
        Assert.StartsWith(parameter, error.Message);
    }

    [Fact]
    public void InvalidPromptsAreNamed()
    {
        Assert.Contains("prompt must not be empty", Assert.Throws<ArgumentException>(() => Generate(new SamplingParams(), [])).Message);
        Assert.Contains("token id 100352, outside the vocabulary [0, 100352)",
            Assert.Throws<ArgumentException>(() => Generate(new SamplingParams(), [1, 100352])).Message);
        Assert.Contains("requests[1].prompt",
            Assert.Throws<ArgumentException>(() => Engine.Generate([new GenerationRequest([1], new SamplingParams()), new GenerationRequest([-1], new SamplingParams())])).Message);
        Assert.Contains("top must be in [1, 100352]", Assert.Throws<ArgumentOutOfRangeException>(() => Engine.PromptTopLogits([1], 0)).Message);
    }

    [Fact]
    public void GenerationStopsAtMaxSeqLen()
    {
        using var directory = new TemporaryDirectory();
        TinyModels.Write(directory.Path, BuiltInModel.Family, new RandomCheckpoint.Options(),
            new System.Text.Json.Nodes.JsonObject { ["max_seq_len"] = 8, ["vocab_size"] = 300 });
        using var engine = ReferenceEngine.Load(directory.Path, ComputePlacement.Cpu);
        var result = engine.Generate([new GenerationRequest([1, 2, 3, 4, 5, 6], new SamplingParams { MaxTokens = 10 })])[0];
        Assert.Equal((2, FinishReason.Length), (result.TokenIds.Count, result.FinishReason));
        Assert.Single(engine.Generate([new GenerationRequest([1, 2, 3, 4, 5, 6, 7, 8], new SamplingParams { MaxTokens = 10 })])[0].TokenIds);
        Assert.Contains("9 tokens, more than max_model_len (8)",
            Assert.Throws<ArgumentException>(() => engine.PromptLogits([1, 2, 3, 4, 5, 6, 7, 8, 9])).Message);
    }

    [Theory]
    [InlineData("bfloat16")]
    [InlineData("float16")]
    public void ReducedPrecisionStaysCloseToFloat32(string dtype)
    {
        using var engine = ReferenceEngine.Load(TestPaths.DbrxTiny, ComputePlacement.Cpu with { DType = ComputePlacement.ParseDType(dtype) });
        var prompt = FixtureCases.Expected("dbrx")[1];
        var top = engine.PromptTopLogits(prompt.PromptIds, 1);
        for (var t = 0; t < top.Length; t++)
            Assert.True(Math.Abs(top[t].Logits[0] - prompt.Positions[t].TopLogits[0]) < 0.5, $"{dtype} position {t}");
    }
}
