using Rex.Model.Config;
using static TorchSharp.torch;

namespace Rex.Silo.Experts;

/// <summary>The device bytes one expert's weights take: w1, v1 and w2, each [ffn_hidden_size, d_model].</summary>
public static class ExpertBytes
{
    public static long Of(DbrxConfig config, ScalarType dtype) =>
        3L * config.FfnHiddenSize * config.DModel * (dtype == ScalarType.Float32 ? 4 : 2);
}
