using Rex.Model.Config;

namespace Rex.Model.Checkpoint;

/// <summary>
/// Every tensor of a DBRX checkpoint with the normal distribution its random weights are drawn from: matrices with
/// std 1/sqrt(fan-in), so activations keep their scale through any depth; norms around 1; the fused QKV weights
/// `qkvScale` times wider, so that some activations exceed clip_qkv and the clipping is exercised. Shared by the
/// random checkpoints Rex writes and the dummy load format, in checkpoint order.
/// </summary>
public static class DbrxRandomInit
{
    public const double DefaultQkvScale = 3.0;

    public sealed record RandomTensor(string Name, long[] Shape, double Mean, double Std);

    public static IEnumerable<RandomTensor> Tensors(DbrxConfig config, double qkvScale = DefaultQkvScale)
    {
        long d = config.DModel;
        var experts = (long)config.NumExperts * config.FfnHiddenSize;
        var matrix = 1 / Math.Sqrt(d);
        yield return new(DbrxTensorNames.Embedding, [config.VocabSize, d], 0, 1);
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            yield return Norm(DbrxTensorNames.AttentionNorm(layer));
            yield return new(DbrxTensorNames.Wqkv(layer), [config.QkvDim, d], 0, qkvScale / Math.Sqrt(d));
            yield return new(DbrxTensorNames.OutProj(layer), [d, d], 0, matrix);
            yield return Norm(DbrxTensorNames.FfnNorm(layer));
            yield return new(DbrxTensorNames.Router(layer), [config.NumExperts, d], 0, matrix);
            yield return new(DbrxTensorNames.ExpertW1(layer), [experts, d], 0, matrix);
            yield return new(DbrxTensorNames.ExpertV1(layer), [experts, d], 0, matrix);
            yield return new(DbrxTensorNames.ExpertW2(layer), [experts, d], 0, 1 / Math.Sqrt(config.FfnHiddenSize));
        }
        yield return Norm(DbrxTensorNames.FinalNorm);
        yield return new(DbrxTensorNames.LmHead, [config.VocabSize, d], 0, matrix);

        RandomTensor Norm(string name) => new(name, [d], 1, 0.1);
    }
}
