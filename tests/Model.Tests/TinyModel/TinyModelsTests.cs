using Rex.Model.Config;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Models;
using Rex.Model.Sampling;
using Rex.Model.TinyModel;
using Rex.Tests;

namespace Rex.Model.Tests.TinyModel;

public sealed class TinyModelsTests
{
    public static TheoryData<string> Families => new(ModelFamilies.Names);

    [Theory]
    [MemberData(nameof(Families))]
    public void EveryFamilyWritesADeterministicCheckpointTheEngineServes(string family)
    {
        using var first = new TemporaryDirectory();
        using var second = new TemporaryDirectory();
        var config = TinyModels.Write(first.Path, family, new RandomCheckpoint.Options { Seed = 3 });
        TinyModels.Write(second.Path, family, new RandomCheckpoint.Options { Seed = 3 });
        Assert.Equal(family, config.ModelType);
        foreach (var file in Directory.GetFiles(first.Path).Select(Path.GetFileName))
            Assert.Equal(File.ReadAllBytes(Path.Combine(first.Path, file!)), File.ReadAllBytes(Path.Combine(second.Path, file!)));
        Assert.Equal(config.EosTokenIds, GenerationConfig.ReadDirectory(first.Path, config).EosTokenIds);

        using var engine = ReferenceEngine.Load(first.Path, ComputePlacement.Cpu);
        var result = engine.Generate([new GenerationRequest([1, 2, 3], new SamplingParams { MaxTokens = 4, IgnoreEos = true })])[0];
        Assert.Equal(4, result.TokenIds.Count);
        Assert.All(result.TokenIds, id => Assert.InRange(id, 0, config.VocabSize - 1));
    }

    [Fact]
    public void AnUnknownFamilyIsNamedWithTheSupportedOnes()
    {
        using var directory = new TemporaryDirectory();
        var error = Assert.Throws<ArgumentException>(() => TinyModels.Write(directory.Path, "llama", new RandomCheckpoint.Options()));
        Assert.Contains("family 'llama' is not supported; supported: dbrx, mixtral, qwen2_moe, qwen3_moe, olmoe", error.Message);
    }
}
