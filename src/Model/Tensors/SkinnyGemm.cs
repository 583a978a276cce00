using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Rex.Model.Tensors;

/// <summary>
/// `x · weightᵀ` for the few rows of a decode step on a CPU: float32, at most <see cref="MaxRows"/> rows. libtorch's
/// CPU matrix product packs the whole weight for every call with more than one row, so its time grew with the rows
/// although the bytes did not (on the 2-core VM, a [100352, 1024] LM head: 27 ms at 1 row, 135 ms at 4, 193 ms at 16;
/// a [1024, 1024] layer 0.10 ms at 1 row, 0.79 ms at 16). This one streams each block of four weight rows from memory
/// once for all rows, the output's columns split across <see cref="TorchThreads.KernelThreads"/>. Where AVX-512 runs at full speed and the input width is a whole number of its
/// vectors, <see cref="SkinnyGemmAvx512"/> does the work (on a 2-core AMD EPYC VM, 20-30% faster than the AVX2 kernel
/// at every row count: a [100352, 1024] LM head 8.2 -> 6.4-7.0 ms at 1 row, 24.6 -> 18.6 ms at 16); otherwise
/// <see cref="SkinnyGemmAvx2"/>. Each output element sums its products in the same order whatever the other rows
/// are (one kernel per weight width, the same vector lanes and the same final sum for every row tile), so a row's
/// result does not depend on its batch: an expert silo that gets a share of a batch computes what the local engine
/// computes for the whole of it.
/// </summary>
public static unsafe class SkinnyGemm
{
    /// <summary>The most rows it takes; beyond, libtorch's blocked product reuses each weight load well enough.</summary>
    public const int MaxRows = 16;

    /// <summary>Output columns (weight rows) per block, the unit the threads split: every kernel takes four at a time.</summary>
    internal const int WeightRowsPerBlock = 4;

    /// <summary>Below this many multiply-adds a second thread costs more than it saves.</summary>
    public const long ParallelThreshold = 1 << 18;

    /// <summary>Whether <see cref="Into"/> can take these: float32 on the CPU, contiguous, an input width of whole vectors.</summary>
    public static bool Applies(Tensor x, Tensor weight) =>
        Fma.IsSupported && x.device_type == DeviceType.CPU && weight.device_type == DeviceType.CPU
        && x.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32 && x.dim() == 2 && weight.dim() == 2
        && x.size(0) is > 0 and <= MaxRows && x.size(1) == weight.size(1) && x.size(1) % Vector256<float>.Count == 0
        && x.is_contiguous() && weight.is_contiguous();

    /// <summary>x: [rows, in], weight: [out, in], bias: [out] or null -> [rows, out]; libtorch's linear where the kernel does not apply.</summary>
    /// <param name="threads">As <see cref="Into"/>'s.</param>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null, int threads = 0)
    {
        if (!Applies(x, weight)) return nn.functional.linear(x, weight, bias);
        var output = empty(x.size(0), weight.size(0), ScalarType.Float32, x.device);
        Into(x, weight, output, threads);
        return bias is null ? output : output.add_(bias);
    }

    /// <summary>
    /// output = x · weightᵀ, written in place: x [rows, in] and weight [out, in] as <see cref="Applies"/> requires,
    /// output [rows, out] float32 whose rows are contiguous (a row range of a larger tensor, or a column range, will do).
    /// </summary>
    /// <param name="threads">Threads to split the columns over; 0: <see cref="TorchThreads.KernelThreads"/> for a product of at least <see cref="ParallelThreshold"/> multiply-adds, else 1.</param>
    public static void Into(Tensor x, Tensor weight, Tensor output, int threads = 0)
    {
        if (!Applies(x, weight)) throw new ArgumentException($"SkinnyGemm takes at most {MaxRows} float32 CPU rows against a contiguous float32 weight");
        if (output.dtype != ScalarType.Float32 || output.device_type != DeviceType.CPU || output.dim() != 2 || output.stride(1) != 1
            || output.size(0) != x.size(0) || output.size(1) != weight.size(0))
            throw new ArgumentException($"output must be a float32 CPU [{x.size(0)}, {weight.size(0)}] with contiguous rows");
        var product = new BlockProduct(DataOf(x), DataOf(weight), DataOf(output), output.stride(0), (int)x.size(0), (int)weight.size(0), (int)weight.size(1));
        if (threads == 0) threads = (long)product.Rows * product.Columns * product.Depth < ParallelThreshold ? 1 : TorchThreads.KernelThreads;
        if (SkinnyGemmAvx512.Applies(product.Depth)) Run(new SkinnyGemmAvx512(product), product.Columns, threads);
        else Run(new SkinnyGemmAvx2(product), product.Columns, threads);
    }

    // The output's blocks of WeightRowsPerBlock columns, split into one contiguous range per thread.
    static void Run<TKernel>(TKernel kernel, int columns, int threads) where TKernel : struct, IBlockKernel
    {
        var blocks = (columns + WeightRowsPerBlock - 1) / WeightRowsPerBlock;
        if (threads == 1)
        {
            kernel.Blocks(0, blocks);
            return;
        }
        var perThread = (blocks + threads - 1) / threads;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
            t => kernel.Blocks(t * perThread, Math.Min(blocks, (t + 1) * perThread)));
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
}
