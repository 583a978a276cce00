using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rex.Model.Tensors;

/// <summary>
/// <see cref="SkinnyGemm"/>'s kernel in 512-bit vectors (AVX-512F): four weight rows against four input rows,
/// sixteen accumulators and 8 loads per 16 multiply-adds, in the 32 registers AVX-512 has, so sixteen rows take four
/// passes over each block of weights where the AVX2 kernel takes six; one input row at a time for the rest. The
/// first pass of four rows also asks for the next block into L2: a weight row of 1024 floats is one 4 KiB page, where
/// the hardware prefetcher stops and must start over (on the 2-core AMD EPYC VM, 15-25% faster at 4 to 16 rows; at
/// one row the extra requests slowed the LM head down, so the one-row kernel does without).
/// </summary>
internal readonly unsafe struct SkinnyGemmAvx512(BlockProduct product) : IBlockKernel
{
    readonly float* x = product.X, w = product.W, y = product.Y;
    readonly long yStride = product.YStride;
    readonly int rows = product.Rows, columns = product.Columns, depth = product.Depth;

    /// <summary>Whether this CPU runs it at full speed (.NET leaves 512-bit vectors off where they would throttle) and rows of this width are whole vectors.</summary>
    public static bool Applies(int depth) => Avx512F.IsSupported && Vector512.IsHardwareAccelerated && depth % Vector512<float>.Count == 0;

    public void Blocks(int start, int end)
    {
        for (var block = start; block < end; block++)
        {
            var n = block * SkinnyGemm.WeightRowsPerBlock;
            if (n + SkinnyGemm.WeightRowsPerBlock <= columns)
            {
                var m = 0;
                var prefetch = n + 2 * SkinnyGemm.WeightRowsPerBlock <= columns;
                for (; m + 4 <= rows; m += 4) FourByFour(n, m, prefetchNextBlock: prefetch && m == 0);
                for (; m < rows; m++) FourByOne(n, m);
            }
            else
            {
                for (; n < columns; n++)
                    for (var m = 0; m < rows; m++) y[m * yStride + n] = Dot(w + (long)n * depth, x + (long)m * depth);
            }
        }
    }

    // Weight rows n..n+3 against input rows m..m+3.
    void FourByFour(int n, int m, bool prefetchNextBlock)
    {
        float* w0 = w + (long)n * depth, w1 = w0 + depth, w2 = w1 + depth, w3 = w2 + depth;
        float* xa = x + (long)m * depth, xb = xa + depth, xc = xb + depth, xd = xc + depth;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
        var next = (long)SkinnyGemm.WeightRowsPerBlock * depth;
        for (var k = 0; k < depth; k += Vector512<float>.Count)
        {
            if (prefetchNextBlock)
            {
                // One 64-byte line per weight row and step: the next block's same line.
                Sse.Prefetch1(w0 + next + k);
                Sse.Prefetch1(w1 + next + k);
                Sse.Prefetch1(w2 + next + k);
                Sse.Prefetch1(w3 + next + k);
            }
            var va = Vector512.Load(xa + k);
            var vb = Vector512.Load(xb + k);
            var vc = Vector512.Load(xc + k);
            var vd = Vector512.Load(xd + k);
            var v = Vector512.Load(w0 + k);
            a0 = Avx512F.FusedMultiplyAdd(v, va, a0); b0 = Avx512F.FusedMultiplyAdd(v, vb, b0);
            c0 = Avx512F.FusedMultiplyAdd(v, vc, c0); d0 = Avx512F.FusedMultiplyAdd(v, vd, d0);
            v = Vector512.Load(w1 + k);
            a1 = Avx512F.FusedMultiplyAdd(v, va, a1); b1 = Avx512F.FusedMultiplyAdd(v, vb, b1);
            c1 = Avx512F.FusedMultiplyAdd(v, vc, c1); d1 = Avx512F.FusedMultiplyAdd(v, vd, d1);
            v = Vector512.Load(w2 + k);
            a2 = Avx512F.FusedMultiplyAdd(v, va, a2); b2 = Avx512F.FusedMultiplyAdd(v, vb, b2);
            c2 = Avx512F.FusedMultiplyAdd(v, vc, c2); d2 = Avx512F.FusedMultiplyAdd(v, vd, d2);
            v = Vector512.Load(w3 + k);
            a3 = Avx512F.FusedMultiplyAdd(v, va, a3); b3 = Avx512F.FusedMultiplyAdd(v, vb, b3);
            c3 = Avx512F.FusedMultiplyAdd(v, vc, c3); d3 = Avx512F.FusedMultiplyAdd(v, vd, d3);
        }
        Store(y + m * yStride + n, a0, a1, a2, a3);
        Store(y + (m + 1) * yStride + n, b0, b1, b2, b3);
        Store(y + (m + 2) * yStride + n, c0, c1, c2, c3);
        Store(y + (m + 3) * yStride + n, d0, d1, d2, d3);
    }

    // The same for one input row: 4 accumulators, each summing in the order FourByFour's do.
    void FourByOne(int n, int m)
    {
        float* w0 = w + (long)n * depth, w1 = w0 + depth, w2 = w1 + depth, w3 = w2 + depth;
        var xa = x + (long)m * depth;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var k = 0; k < depth; k += Vector512<float>.Count)
        {
            var va = Vector512.Load(xa + k);
            a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(w0 + k), va, a0);
            a1 = Avx512F.FusedMultiplyAdd(Vector512.Load(w1 + k), va, a1);
            a2 = Avx512F.FusedMultiplyAdd(Vector512.Load(w2 + k), va, a2);
            a3 = Avx512F.FusedMultiplyAdd(Vector512.Load(w3 + k), va, a3);
        }
        Store(y + m * yStride + n, a0, a1, a2, a3);
    }

    float Dot(float* weightRow, float* inputRow)
    {
        Vector512<float> sum = default;
        for (var k = 0; k < depth; k += Vector512<float>.Count)
            sum = Avx512F.FusedMultiplyAdd(Vector512.Load(weightRow + k), Vector512.Load(inputRow + k), sum);
        return Vector512.Sum(sum);
    }

    static void Store(float* output, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3)
    {
        output[0] = Vector512.Sum(s0);
        output[1] = Vector512.Sum(s1);
        output[2] = Vector512.Sum(s2);
        output[3] = Vector512.Sum(s3);
    }
}
