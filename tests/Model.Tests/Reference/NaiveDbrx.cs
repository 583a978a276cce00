using Rex.Model.Checkpoint;
using Rex.Model.Config;
using static TorchSharp.torch;

namespace Rex.Model.Tests.Reference;

/// <summary>
/// A second DBRX forward pass, written from the Hugging Face definition with scalar loops in float64 and no
/// TorchSharp math: no KV cache, no batching, no fused kernels. The engine is checked against it on configs
/// the fixture does not cover. Only weight loading (tested on its own) is shared with the engine.
/// </summary>
public sealed class NaiveDbrx
{
    readonly DbrxConfig c;
    readonly double[][] wte, lmHead;
    readonly double[] normF;
    readonly Block[] blocks;

    sealed record Block(double[] Norm1, double[][] Wqkv, double[][] OutProj, double[] Norm2, double[][] Router,
        double[][] W1, double[][] V1, double[][] W2);

    public NaiveDbrx(string modelDirectory)
    {
        c = DbrxConfigReader.ReadDirectory(modelDirectory);
        using var checkpoint = SafetensorsCheckpoint.Open(modelDirectory);
        double[][] Matrix(string name) => Rows(checkpoint, name);
        double[] Vector(string name) => Rows(checkpoint, name).Select(r => r[0]).ToArray();
        wte = Matrix(DbrxTensorNames.Embedding);
        lmHead = Matrix(DbrxTensorNames.LmHead);
        normF = Vector(DbrxTensorNames.FinalNorm);
        blocks = Enumerable.Range(0, c.NumLayers).Select(l => new Block(
            Vector(DbrxTensorNames.AttentionNorm(l)), Matrix(DbrxTensorNames.Wqkv(l)), Matrix(DbrxTensorNames.OutProj(l)),
            Vector(DbrxTensorNames.FfnNorm(l)), Matrix(DbrxTensorNames.Router(l)),
            Matrix(DbrxTensorNames.ExpertW1(l)), Matrix(DbrxTensorNames.ExpertV1(l)), Matrix(DbrxTensorNames.ExpertW2(l)))).ToArray();
    }

    /// <summary>Logits at every position: [positions][vocab].</summary>
    public double[][] Logits(int[] ids)
    {
        var h = ids.Select(id => (double[])wte[id].Clone()).ToArray();
        foreach (var b in blocks)
        {
            var x = h.Select(r => Norm(r, b.Norm1)).ToArray();
            var attention = Attend(b, x);
            for (var t = 0; t < h.Length; t++) h[t] = Add(h[t], MatVec(b.OutProj, attention[t]));
            for (var t = 0; t < h.Length; t++) h[t] = Add(h[t], Moe(b, Norm(h[t], b.Norm2)));
        }
        return h.Select(r => MatVec(lmHead, Norm(r, normF))).ToArray();
    }

    double[][] Attend(Block b, double[][] x)
    {
        int T = x.Length, H = c.NumHeads, K = c.NumKvHeads, hd = c.HeadDim, d = c.DModel;
        var q = new double[T][][];
        var k = new double[T][][];
        var v = new double[T][][];
        for (var t = 0; t < T; t++)
        {
            var qkv = MatVec(b.Wqkv, x[t]);
            if (c.ClipQkv is { } clip) qkv = qkv.Select(z => Math.Clamp(z, -clip, clip)).ToArray();
            q[t] = Enumerable.Range(0, H).Select(h => Rope(qkv.AsSpan(h * hd, hd).ToArray(), t)).ToArray();
            k[t] = Enumerable.Range(0, K).Select(h => Rope(qkv.AsSpan(d + h * hd, hd).ToArray(), t)).ToArray();
            v[t] = Enumerable.Range(0, K).Select(h => qkv.AsSpan(d + K * hd + h * hd, hd).ToArray()).ToArray();
        }
        var output = new double[T][];
        for (var t = 0; t < T; t++)
        {
            output[t] = new double[d];
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

    // Rotate-half RoPE: pairs (i, i + hd/2) turn by position * theta^(-2i/hd).
    double[] Rope(double[] x, int position)
    {
        var half = x.Length / 2;
        var y = new double[x.Length];
        for (var i = 0; i < half; i++)
        {
            var angle = position / Math.Pow(c.RopeTheta, 2.0 * i / x.Length);
            y[i] = x[i] * Math.Cos(angle) - x[i + half] * Math.Sin(angle);
            y[i + half] = x[i + half] * Math.Cos(angle) + x[i] * Math.Sin(angle);
        }
        return y;
    }

    double[] Moe(Block b, double[] x)
    {
        var probabilities = Softmax(MatVec(b.Router, x));
        var top = Enumerable.Range(0, c.NumExperts).OrderByDescending(e => probabilities[e]).Take(c.TopK).ToArray();
        var weights = top.Select(e => probabilities[e]).ToArray();
        if (c.ExpertWeightNormP is { } p)
        {
            var norm = Math.Pow(weights.Sum(w => Math.Pow(Math.Abs(w), p)), 1 / p);
            weights = weights.Select(w => w / norm).ToArray();
        }
        var output = new double[c.DModel];
        for (var j = 0; j < top.Length; j++)
        {
            var first = top[j] * c.FfnHiddenSize;
            for (var f = 0; f < c.FfnHiddenSize; f++)
            {
                var a = Activate(Dot(b.W1[first + f], x)) * Dot(b.V1[first + f], x);
                for (var i = 0; i < c.DModel; i++) output[i] += weights[j] * a * b.W2[first + f][i];
            }
        }
        return output;
    }

    double Activate(double z) => c.Activation switch
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

    static double[] Norm(double[] x, double[] weight)
    {
        var mean = x.Average();
        var variance = x.Sum(z => (z - mean) * (z - mean)) / x.Length;
        var scale = 1 / Math.Sqrt(variance + 1e-5);
        return x.Select((z, i) => (z - mean) * scale * weight[i]).ToArray();
    }

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
