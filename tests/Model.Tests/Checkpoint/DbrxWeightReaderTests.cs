using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.TinyModel;
using Rex.Tests;

namespace Rex.Model.Tests.Checkpoint;

public sealed class DbrxWeightReaderTests
{
    [Fact]
    public void AnExpertHostReadsOnlyItsExpertsRows()
    {
        using var checkpoint = SafetensorsCheckpoint.Open(TestPaths.DbrxTiny);
        var config = DbrxConfigReader.ReadDirectory(TestPaths.DbrxTiny);
        var reader = new DbrxWeightReader(checkpoint, config, ComputePlacement.Cpu);
        using var expert = reader.Expert(layer: 1, expert: 5);
        // Three [ffn, d_model] BF16 slices of the fused tensors and nothing else.
        Assert.Equal(3L * config.FfnHiddenSize * config.DModel * 2, checkpoint.BytesRead);
    }

    [Fact]
    public void ATensorWhoseShapeDisagreesWithTheConfigIsNamed()
    {
        using var directory = new TemporaryDirectory();
        RandomDbrxCheckpoint.Write(directory.Path, BuiltInModel.Config with { VocabSize = 500 }, new RandomDbrxCheckpoint.Options());
        File.WriteAllText(Path.Combine(directory.Path, "config.json"),
            RandomDbrxCheckpoint.ConfigJson(BuiltInModel.Config with { VocabSize = 500, FfnHiddenSize = 16 }).ToJsonString());
        var error = Assert.Throws<CheckpointException>(() => ReferenceEngine.Load(directory.Path, ComputePlacement.Cpu));
        Assert.Contains("tensor 'transformer.blocks.0.ffn.experts.mlp.w1' has shape [512, 64], but the config needs [256, 64]", error.Message);
    }
}
