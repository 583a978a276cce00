using Rex.Model.Config;
using static TorchSharp.torch;

namespace Rex.Silo.Experts;

/// <summary>The device bytes one routed expert's weights take: gate, up and down, each of ffn x hidden values.</summary>
public static class ExpertBytes
{
    public static long Of(ModelConfig config, ScalarType dtype) =>
        3L * config.Moe.IntermediateSize * config.HiddenSize * (dtype == ScalarType.Float32 ? 4 : 2);
}
