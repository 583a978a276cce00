using Rex.Model.Checkpoint;
using Rex.Model.Config;
using static TorchSharp.torch;

namespace Rex.Model.Tests.Reference;

/// <summary>
/// A second forward pass for every family, written from the Hugging Face definitions with scalar loops in float64 and
/// no TorchSharp math: no KV cache, no batching, no fused projections, experts looked up by name. The engine is
/// checked against it on configs the fixtures do not cover. Config reading and the tensor names (each tested on its
/// own) are all it shares with the engine.
/// </summary>
public sealed class NaiveMoe
{
    readonly ModelConfig c;
    readonly Dictionary<string, double[][]> tensors;

    public NaiveMoe(string modelDirectory)
    {
        c = ModelConfigReader.ReadDirectory(modelDirectory);
        using var checkpoint = SafetensorsCheckpoint.Open(modelDirectory);
        tensors = ModelTensors.All(c).ToDictionary(t => t.Name, t => Rows(checkpoint, t.Name));
    }

    double[][] Matrix(string name) => tensors[name];

    double[] Vector(string name) => tensors[name].Select(r => r[0]).ToArray();

    double[] Weight(string module) => Vector(module + ".weight");

    /// <summary>Logits at every position: [positions][vocab].</summary>
    public double[][] Logits(int[] ids)
    {
        var names = c.Tensors;
        var embedding = Matrix(names.Embedding + ".weight");
        var h = ids.Select(id => (double[])embedding[id].Clone()).ToArray();
        for (var layer = 0; layer < c.NumLayers; layer++)
        {
            var x = h.Select(r => Norm(r, Weight(names.InputNorm(layer)))).ToArray();
            var attention = Attend(layer, x);
            for (var t = 0; t < h.Length; t++) h[t] = Add(h[t], Linear(names.Output(layer), attention[t], c.Attention.OutputBias));
            for (var t = 0; t < h.Length; t++)
            {
                var normed = Norm(h[t], Weight(names.PostAttentionNorm(layer)));
                h[t] = Add(h[t], c.IsMoeLayer(layer) ? Moe(layer, normed) : Glu(names.DenseMlp!, layer, normed));
            }
        }
        var lmHead = Matrix((c.TieWordEmbeddings ? names.Embedding : names.LmHead) + ".weight");
        return h.Select(r => MatVec(lmHead, Norm(r, Weight(names.FinalNorm)))).ToArray();
    }

    double[][] Attend(int layer, double[][] x)
    {
        var a = c.Attention;
        int T = x.Length, H = a.NumHeads, K = a.NumKvHeads, hd = a.HeadDim;
        var q = new double[T][][];
        var k = new double[T][][];
        var v = new double[T][][];
        for (var t = 0; t < T; t++)
        {
            var (qt, kt, vt) = Project(layer, x[t]);
            if (a.QkNorm == QkNormKind.Full) (qt, kt) = (Norm(qt, Weight(c.Tensors.QNorm!(layer))), Norm(kt, Weight(c.Tensors.KNorm!(layer))));
            if (a.ClipQkv is { } clip) (qt, kt, vt) = (Clamp(qt, clip), Clamp(kt, clip), Clamp(vt, clip));
            q[t] = Heads(qt, H, hd).Select(head => Rope(HeadNorm(head, c.Tensors.QNorm, layer), t)).ToArray();
            k[t] = Heads(kt, K, hd).Select(head => Rope(HeadNorm(head, c.Tensors.KNorm, layer), t)).ToArray();
            v[t] = Heads(vt, K, hd);
        }
        var output = new double[T][];
        for (var t = 0; t < T; t++)
        {
            output[t] = new double[H * hd];
            for (var head = 0; head < H; head++)
            {
                var kv = head / (H / K);
                var scores = Enumerable.Range(0, t + 1).Select(s => Dot(q[t][head], k[s][kv]) / Math.Sqrt(hd)).ToArray();
                var p = Softmax(scores);
                for (var s = 0; s <= t; s++)
                    for (var i = 0; i < hd; i++) output[t][head * hd + i] += p[s] * v[s][kv][i];
            }
        }
        return output;
    }

    (double[] Q, double[] K, double[] V) Project(int layer, double[] x)
    {
        var a = c.Attention;
        if (c.Tensors.Qkv is SeparateQkvTensorNames separate)
            return (Linear(separate.Q(layer), x, a.QkvBias), Linear(separate.K(layer), x, a.QkvBias), Linear(separate.V(layer), x, a.QkvBias));
        var qkv = Linear(((FusedQkvTensorNames)c.Tensors.Qkv).Qkv(layer), x, a.QkvBias);
        return (qkv[..a.QDim], qkv[a.QDim..(a.QDim + a.KvDim)], qkv[(a.QDim + a.KvDim)..]);
    }

    double[] HeadNorm(double[] head, Func<int, string>? norm, int layer) =>
        c.Attention.QkNorm == QkNormKind.PerHead ? Norm(head, Weight(norm!(layer))) : head;

    static double[][] Heads(double[] x, int heads, int headDim) =>
        Enumerable.Range(0, heads).Select(h => x.AsSpan(h * headDim, headDim).ToArray()).ToArray();

    // Rotate-half RoPE: pairs (i, i + hd/2) turn by position * theta^(-2i/hd).
    double[] Rope(double[] x, int position)
    {
        var half = x.Length / 2;
        var y = new double[x.Length];
        for (var i = 0; i < half; i++)
        {
            var angle = position / Math.Pow(c.Attention.RopeTheta, 2.0 * i / x.Length);
            y[i] = x[i] * Math.Cos(angle) - x[i + half] * Math.Sin(angle);
            y[i + half] = x[i + half] * Math.Cos(angle) + x[i] * Math.Sin(angle);
        }
        return y;
    }

    double[] Moe(int layer, double[] x)
    {
        var m = c.Moe;
        var logits = MatVec(Matrix(c.Tensors.Router(layer) + ".weight"), x);
        int[] top;
        double[] weights;
        if (m.Scoring == RouterScoring.SoftmaxThenTopK)
        {
            var probabilities = Softmax(logits);
            top = Enumerable.Range(0, m.NumExperts).OrderByDescending(e => probabilities[e]).Take(m.TopK).ToArray();
            weights = top.Select(e => probabilities[e]).ToArray();
        }
        else
        {
            top = Enumerable.Range(0, m.NumExperts).OrderByDescending(e => logits[e]).Take(m.TopK).ToArray();
            weights = Softmax(top.Select(e => logits[e]).ToArray());
        }
        if (m.NormalizeTopKP is { } p)
        {
            var norm = Math.Pow(weights.Sum(w => Math.Pow(Math.Abs(w), p)), 1 / p);
            weights = weights.Select(w => w / norm).ToArray();
        }
        var output = new double[c.HiddenSize];
        for (var j = 0; j < top.Length; j++) output = Add(output, Expert(layer, top[j], x).Select(z => weights[j] * z).ToArray());
        if (!m.HasSharedExpert) return output;
        var shared = Glu(c.Tensors.SharedExpert!, layer, x);
        var gate = m.SharedExpertGated ? 1 / (1 + Math.Exp(-Dot(Matrix(c.Tensors.SharedExpertGate!(layer) + ".weight")[0], x))) : 1;
        return Add(output, shared.Select(z => gate * z).ToArray());
    }

    double[] Expert(int layer, int expert, double[] x)
    {
        if (c.Tensors.Experts is PerExpertTensorNames perExpert)
            return Glu(new GluTensorNames(l => perExpert.Gate(l, expert), l => perExpert.Up(l, expert), l => perExpert.Down(l, expert)), layer, x);
        // Fused rows: expert e owns rows [e * ffn, (e + 1) * ffn) of gate, up and the transposed down projection.
        var fused = (FusedExpertTensorNames)c.Tensors.Experts;
        var (gate, up, downT) = (Matrix(fused.Gate(layer)), Matrix(fused.Up(layer)), Matrix(fused.DownTransposed(layer)));
        var ffn = c.Moe.IntermediateSize;
        var output = new double[c.HiddenSize];
        for (var f = expert * ffn; f < (expert + 1) * ffn; f++)
        {
            var hidden = Activate(Dot(gate[f], x)) * Dot(up[f], x);
            for (var i = 0; i < output.Length; i++) output[i] += hidden * downT[f][i];
        }
        return output;
    }

    double[] Glu(GluTensorNames names, int layer, double[] x)
    {
        var gate = Linear(names.Gate(layer), x, bias: false);
        var up = Linear(names.Up(layer), x, bias: false);
        return Linear(names.Down(layer), gate.Select((g, i) => Activate(g) * up[i]).ToArray(), bias: false);
    }

    double[] Linear(string module, double[] x, bool bias)
    {
        var y = MatVec(Matrix(module + ".weight"), x);
        return bias ? Add(y, Vector(module + ".bias")) : y;
    }

    double Activate(double z) => c.Moe.Activation switch
    {
        ExpertActivation.Silu => z / (1 + Math.Exp(-z)),
        ExpertActivation.Gelu => 0.5 * z * (1 + Erf(z / Math.Sqrt(2))),
        ExpertActivation.GeluTanh => 0.5 * z * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z))),
        ExpertActivation.Relu => Math.Max(0, z),
        _ => throw new ArgumentOutOfRangeException(),
    };

    // Abramowitz & Stegun 7.1.26, |error| < 1.5e-7: far inside the comparison tolerance.
    static double Erf(double x)
    {
        var sign = Math.Sign(x);
        x = Math.Abs(x);
        var t = 1 / (1 + 0.3275911 * x);
        var y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return sign * y;
    }

    double[] Norm(double[] x, double[] weight)
    {
        if (c.Norm.Kind == NormKind.RmsNorm)
        {
            var rms = 1 / Math.Sqrt(x.Sum(z => z * z) / x.Length + c.Norm.Eps);
            return x.Select((z, i) => z * rms * weight[i]).ToArray();
        }
        var mean = x.Average();
        var variance = x.Sum(z => (z - mean) * (z - mean)) / x.Length;
        var scale = 1 / Math.Sqrt(variance + c.Norm.Eps);
        return x.Select((z, i) => (z - mean) * scale * weight[i]).ToArray();
    }

    static double[] Clamp(double[] x, double clip) => x.Select(z => Math.Clamp(z, -clip, clip)).ToArray();

    static double[] Softmax(double[] z)
    {
        var max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    static double[] MatVec(double[][] m, double[] x) => m.Select(row => Dot(row, x)).ToArray();

    static double Dot(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    static double[] Add(double[] a, double[] b) => a.Select((z, i) => z + b[i]).ToArray();

    static double[][] Rows(SafetensorsCheckpoint checkpoint, string name)
    {
        using var t = checkpoint.Load(name, ScalarType.Float64, CPU);
        var flat = t.data<double>().ToArray();
        var columns = t.shape.Length == 1 ? 1 : (int)t.shape[1];
        return Enumerable.Range(0, flat.Length / columns).Select(r => flat.AsSpan(r * columns, columns).ToArray()).ToArray();
    }
}
