using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Rex.Model.Tensors;

/// <summary>
/// `x · weightᵀ` for the few rows of a decode step on a CPU: float32, at most <see cref="MaxRows"/> rows. libtorch's
/// CPU matrix product packs the whole weight for every call with more than one row, so its time grew with the rows
/// although the bytes did not (on the 2-core VM, a [100352, 1024] LM head: 27 ms at 1 row, 135 ms at 4, 193 ms at 16;
/// a [1024, 1024] layer 0.10 ms at 1 row, 0.79 ms at 16). This kernel streams each weight row once for all rows: four
/// weight rows at a time against three input rows, twelve AVX2 accumulators, the output's columns split across the
/// calling thread's intra-op threads (libtorch's count, as <see cref="TorchThreads"/> sets it). Each output element sums its products in the same order
/// whatever the other rows are, so a row's result does not depend on its batch: an expert silo that gets a share of
/// a batch computes what the local engine computes for the whole of it.
/// </summary>
public static unsafe class SkinnyGemm
{
    /// <summary>The most rows it takes; beyond, libtorch's blocked product reuses each weight load well enough.</summary>
    public const int MaxRows = 16;

    const int WeightRowsPerBlock = 4;

    // Below this many multiply-adds a second thread costs more than it saves.
    const long ParallelThreshold = 1 << 18;

    /// <summary>Whether <see cref="Into"/> can take these: float32 on the CPU, contiguous, an input width of whole vectors.</summary>
    public static bool Applies(Tensor x, Tensor weight) =>
        Fma.IsSupported && x.device_type == DeviceType.CPU && weight.device_type == DeviceType.CPU
        && x.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32 && x.dim() == 2 && weight.dim() == 2
        && x.size(0) is > 0 and <= MaxRows && x.size(1) == weight.size(1) && x.size(1) % Vector256<float>.Count == 0
        && x.is_contiguous() && weight.is_contiguous();

    /// <summary>x: [rows, in], weight: [out, in], bias: [out] or null -> [rows, out]; libtorch's linear where the kernel does not apply.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (!Applies(x, weight)) return nn.functional.linear(x, weight, bias);
        var output = empty(x.size(0), weight.size(0), ScalarType.Float32, x.device);
        Into(x, weight, output);
        return bias is null ? output : output.add_(bias);
    }

    /// <summary>
    /// output = x · weightᵀ, written in place: x [rows, in] and weight [out, in] as <see cref="Applies"/> requires,
    /// output [rows, out] float32 whose rows are contiguous (a row range of a larger tensor, or a column range, will do).
    /// </summary>
    /// <param name="threads">Threads to split the columns over; 0: the calling thread's intra-op threads.</param>
    public static void Into(Tensor x, Tensor weight, Tensor output, int threads = 0)
    {
        if (!Applies(x, weight)) throw new ArgumentException($"SkinnyGemm takes at most {MaxRows} float32 CPU rows against a contiguous float32 weight");
        if (output.dtype != ScalarType.Float32 || output.device_type != DeviceType.CPU || output.dim() != 2 || output.stride(1) != 1
            || output.size(0) != x.size(0) || output.size(1) != weight.size(0))
            throw new ArgumentException($"output must be a float32 CPU [{x.size(0)}, {weight.size(0)}] with contiguous rows");
        var product = new Product(DataOf(x), DataOf(weight), DataOf(output), output.stride(0), (int)x.size(0), (int)weight.size(0), (int)weight.size(1));
        var blocks = (product.Columns + WeightRowsPerBlock - 1) / WeightRowsPerBlock;
        if (threads == 0) threads = (long)product.Rows * product.Columns * product.Depth < ParallelThreshold ? 1 : Math.Max(1, get_num_threads());
        if (threads == 1)
        {
            product.Blocks(0, blocks);
            return;
        }
        var perThread = (blocks + threads - 1) / threads;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
            t => product.Blocks(t * perThread, Math.Min(blocks, (t + 1) * perThread)));
    }

    // The first element of a CPU tensor whose rows are contiguous (libtorch keeps it in place while the tensor lives).
    // TorchSharp spans only a contiguous tensor under 2 GiB; others (a column range, a huge weight) go through a
    // one-row view. Only sizes, strides and flags are asked for on the way (about 0.1 µs each through TorchSharp,
    // where `shape` and `narrow` cost over a microsecond, and a decode step makes hundreds of these calls).
    static float* DataOf(Tensor tensor)
    {
        if (tensor.numel() * sizeof(float) <= int.MaxValue && tensor.is_contiguous())
            fixed (byte* data = tensor.bytes) return (float*)data;
        using var first = tensor.narrow(0, 0, 1);
        fixed (byte* data = first.bytes) return (float*)data;
    }

    /// <summary>y[m, n] = Σ_k x[m, k] · w[n, k]: x [Rows, Depth], w [Columns, Depth] row-major, y [Rows, Columns] rows yStride apart.</summary>
    readonly struct Product(float* x, float* w, float* y, long yStride, int rows, int columns, int depth)
    {
        public int Rows => rows;

        public int Columns => columns;

        public int Depth => depth;

        // Output columns [WeightRowsPerBlock * start, WeightRowsPerBlock * end), clipped to Columns.
        public void Blocks(int start, int end)
        {
            for (var block = start; block < end; block++)
            {
                var n = block * WeightRowsPerBlock;
                if (n + WeightRowsPerBlock <= columns)
                {
                    var m = 0;
                    for (; m + 3 <= rows; m += 3) FourByThree(n, m);
                    for (; m < rows; m++) FourByOne(n, m);
                }
                else
                {
                    for (; n < columns; n++)
                        for (var m = 0; m < rows; m++) y[m * yStride + n] = Dot(w + (long)n * depth, x + (long)m * depth);
                }
            }
        }

        // Weight rows n..n+3 against input rows m..m+2: 12 accumulators, 7 loads per 12 multiply-adds.
        void FourByThree(int n, int m)
        {
            float* w0 = w + (long)n * depth, w1 = w0 + depth, w2 = w1 + depth, w3 = w2 + depth;
            float* xa = x + (long)m * depth, xb = xa + depth, xc = xb + depth;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
            for (var k = 0; k < depth; k += Vector256<float>.Count)
            {
                var va = Avx.LoadVector256(xa + k);
                var vb = Avx.LoadVector256(xb + k);
                var vc = Avx.LoadVector256(xc + k);
                var v = Avx.LoadVector256(w0 + k);
                a0 = Fma.MultiplyAdd(v, va, a0); b0 = Fma.MultiplyAdd(v, vb, b0); c0 = Fma.MultiplyAdd(v, vc, c0);
                v = Avx.LoadVector256(w1 + k);
                a1 = Fma.MultiplyAdd(v, va, a1); b1 = Fma.MultiplyAdd(v, vb, b1); c1 = Fma.MultiplyAdd(v, vc, c1);
                v = Avx.LoadVector256(w2 + k);
                a2 = Fma.MultiplyAdd(v, va, a2); b2 = Fma.MultiplyAdd(v, vb, b2); c2 = Fma.MultiplyAdd(v, vc, c2);
                v = Avx.LoadVector256(w3 + k);
                a3 = Fma.MultiplyAdd(v, va, a3); b3 = Fma.MultiplyAdd(v, vb, b3); c3 = Fma.MultiplyAdd(v, vc, c3);
            }
            Store(y + m * yStride + n, a0, a1, a2, a3);
            Store(y + (m + 1) * yStride + n, b0, b1, b2, b3);
            Store(y + (m + 2) * yStride + n, c0, c1, c2, c3);
        }

        // The same for one input row: 4 accumulators, each summing in the order FourByThree's do.
        void FourByOne(int n, int m)
        {
            float* w0 = w + (long)n * depth, w1 = w0 + depth, w2 = w1 + depth, w3 = w2 + depth;
            var xa = x + (long)m * depth;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (var k = 0; k < depth; k += Vector256<float>.Count)
            {
                var va = Avx.LoadVector256(xa + k);
                a0 = Fma.MultiplyAdd(Avx.LoadVector256(w0 + k), va, a0);
                a1 = Fma.MultiplyAdd(Avx.LoadVector256(w1 + k), va, a1);
                a2 = Fma.MultiplyAdd(Avx.LoadVector256(w2 + k), va, a2);
                a3 = Fma.MultiplyAdd(Avx.LoadVector256(w3 + k), va, a3);
            }
            Store(y + m * yStride + n, a0, a1, a2, a3);
        }

        float Dot(float* weightRow, float* inputRow)
        {
            Vector256<float> sum = default;
            for (var k = 0; k < depth; k += Vector256<float>.Count)
                sum = Fma.MultiplyAdd(Avx.LoadVector256(weightRow + k), Avx.LoadVector256(inputRow + k), sum);
            return Vector256.Sum(sum);
        }

        static void Store(float* output, Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3)
        {
            output[0] = Vector256.Sum(s0);
            output[1] = Vector256.Sum(s1);
            output[2] = Vector256.Sum(s2);
            output[3] = Vector256.Sum(s3);
        }
    }
}
