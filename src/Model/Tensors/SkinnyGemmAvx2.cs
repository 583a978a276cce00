using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rex.Model.Tensors;

/// <summary>
/// <see cref="SkinnyGemm"/>'s kernel in 256-bit vectors (AVX2 with FMA): four weight rows against three input rows,
/// twelve accumulators and 7 loads per 12 multiply-adds, in the 16 registers AVX2 has; one input row at a time for
/// the rest.
/// </summary>
internal readonly unsafe struct SkinnyGemmAvx2(BlockProduct product) : IBlockKernel
{
    readonly float* x = product.X, w = product.W, y = product.Y;
    readonly long yStride = product.YStride;
    readonly int rows = product.Rows, columns = product.Columns, depth = product.Depth;

    public void Blocks(int start, int end)
    {
        for (var block = start; block < end; block++)
        {
            var n = block * SkinnyGemm.WeightRowsPerBlock;
            if (n + SkinnyGemm.WeightRowsPerBlock <= columns)
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

    // Weight rows n..n+3 against input rows m..m+2.
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
