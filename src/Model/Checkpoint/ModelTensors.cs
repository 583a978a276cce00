using Rex.Model.Config;

namespace Rex.Model.Checkpoint;

/// <summary>
/// Every tensor of a model's checkpoint, in checkpoint order, with its shape and the normal distribution random
/// weights are drawn from: matrices with std 1/sqrt(fan-in), so activations keep their scale through any depth;
/// norms around 1; biases small; the QKV projections of a clipping model `qkvScale` times wider, so that some
/// activations exceed clip_qkv and the clipping is exercised. The one source of tensor shapes: the weight reader
/// checks checkpoints against it, random checkpoints and the dummy load format draw from it.
/// </summary>
public static class ModelTensors
{
    public const double ClippingQkvScale = 3.0;

    public sealed record TensorSpec(string Name, long[] Shape, double Mean, double Std);

    public static IEnumerable<TensorSpec> All(ModelConfig config, double? qkvScale = null)
    {
        var names = config.Tensors;
        long d = config.HiddenSize;
        yield return new(names.Embedding + ".weight", [config.VocabSize, d], 0, 1);
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            yield return Norm(names.InputNorm(layer), d);
            foreach (var tensor in Attention(config, layer, qkvScale ?? (config.Attention.ClipQkv is null ? 1 : ClippingQkvScale))) yield return tensor;
            yield return Norm(names.PostAttentionNorm(layer), d);
            var feedForward = config.IsMoeLayer(layer) ? Moe(config, layer) : Glu(names.DenseMlp!, layer, config.DenseIntermediateSize, d);
            foreach (var tensor in feedForward) yield return tensor;
        }
        yield return Norm(names.FinalNorm, d);
        if (!config.TieWordEmbeddings) yield return Matrix(names.LmHead, config.VocabSize, d);
    }

    static IEnumerable<TensorSpec> Attention(ModelConfig config, int layer, double qkvScale)
    {
        var (names, a) = (config.Tensors, config.Attention);
        long d = config.HiddenSize;
        var projections = names.Qkv switch
        {
            FusedQkvTensorNames fused => [(fused.Qkv(layer), a.QkvDim)],
            SeparateQkvTensorNames separate => new[] { (separate.Q(layer), a.QDim), (separate.K(layer), a.KvDim), (separate.V(layer), a.KvDim) },
            _ => throw new ArgumentOutOfRangeException(nameof(config), names.Qkv, "unknown QKV layout"),
        };
        foreach (var (module, rows) in projections)
        {
            yield return new(module + ".weight", [rows, d], 0, qkvScale / Math.Sqrt(d));
            if (a.QkvBias) yield return Bias(module, rows);
        }
        if (a.QkNorm != QkNormKind.None)
        {
            yield return Norm(names.QNorm!(layer), a.QkNorm == QkNormKind.PerHead ? a.HeadDim : a.QDim);
            yield return Norm(names.KNorm!(layer), a.QkNorm == QkNormKind.PerHead ? a.HeadDim : a.KvDim);
        }
        yield return Matrix(names.Output(layer), d, a.QDim);
        if (a.OutputBias) yield return Bias(names.Output(layer), d);
    }

    static IEnumerable<TensorSpec> Moe(ModelConfig config, int layer)
    {
        var (names, m) = (config.Tensors, config.Moe);
        long d = config.HiddenSize;
        yield return Matrix(names.Router(layer), m.NumExperts, d);
        switch (names.Experts)
        {
            case FusedExpertTensorNames fused:
                var rows = (long)m.NumExperts * m.IntermediateSize;
                yield return new(fused.Gate(layer), [rows, d], 0, 1 / Math.Sqrt(d));
                yield return new(fused.Up(layer), [rows, d], 0, 1 / Math.Sqrt(d));
                yield return new(fused.DownTransposed(layer), [rows, d], 0, 1 / Math.Sqrt(m.IntermediateSize));
                break;
            case PerExpertTensorNames perExpert:
                for (var e = 0; e < m.NumExperts; e++)
                {
                    var expert = e;
                    var glu = new GluTensorNames(l => perExpert.Gate(l, expert), l => perExpert.Up(l, expert), l => perExpert.Down(l, expert));
                    foreach (var tensor in Glu(glu, layer, m.IntermediateSize, d)) yield return tensor;
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(config), names.Experts, "unknown expert layout");
        }
        if (!m.HasSharedExpert) yield break;
        foreach (var tensor in Glu(names.SharedExpert!, layer, m.SharedExpertIntermediateSize, d)) yield return tensor;
        if (m.SharedExpertGated) yield return Matrix(names.SharedExpertGate!(layer), 1, d);
    }

    static IEnumerable<TensorSpec> Glu(GluTensorNames names, int layer, long ffn, long d)
    {
        yield return Matrix(names.Gate(layer), ffn, d);
        yield return Matrix(names.Up(layer), ffn, d);
        yield return Matrix(names.Down(layer), d, ffn);
    }

    static TensorSpec Matrix(string module, long rows, long columns) => new(module + ".weight", [rows, columns], 0, 1 / Math.Sqrt(columns));

    static TensorSpec Norm(string module, long size) => new(module + ".weight", [size], 1, 0.1);

    static TensorSpec Bias(string module, long size) => new(module + ".bias", [size], 0, 0.1);
}
