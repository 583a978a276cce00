using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Rex.Model.Tensors;

/// <summary>
/// How many intra-op threads libtorch uses per tensor operation in this process. OpenMP keeps the count per thread,
/// so each thread that runs tensor work applies it when it starts. Several Rex processes on one machine must share
/// its cores: with libtorch's default (one thread per core each), their idle OpenMP threads spin against each other
/// (measured: a 3-process cluster on 2 cores ran 4x slower than with 1 thread each).
/// </summary>
public static partial class TorchThreads
{
    static int configured;
    static int kernels;

    /// <param name="threads">Threads per operation; 0 divides the machine's cores among the `computeThreads` of this process.</param>
    /// <param name="computeThreads">Threads of this process that run tensor work at the same time (engine loop, device executors).</param>
    /// <param name="kernelComputeThreads">Of those, the ones whose large products run at the same time (0: all of
    /// them); with `threads` 0, the cores are divided among these for <see cref="KernelThreads"/>.</param>
    public static void Configure(int threads, int computeThreads = 1, int kernelComputeThreads = 0)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "TorchThreads must be 0 (automatic) or positive");
        // One process, several compute threads: each gets its own OpenMP team, and two teams of one-per-core threads
        // on the same cores halve throughput (measured: the one-process default on 2 cores, 768 vs 1495 tokens/s at
        // concurrency 32, 177 vs 293 at 1).
        var kernelThreads = threads > 0 ? threads
            : Math.Max(1, Environment.ProcessorCount / Math.Max(1, kernelComputeThreads > 0 ? kernelComputeThreads : computeThreads));
        if (threads == 0) threads = Math.Max(1, Environment.ProcessorCount / Math.Max(1, computeThreads));
        Volatile.Write(ref configured, threads);
        Volatile.Write(ref kernels, kernelThreads);
        ApplyToCurrentThread();
    }

    /// <summary>
    /// Threads Rex's own CPU kernels split a large product over (<see cref="SkinnyGemm"/>, the experts of a layer),
    /// apart from libtorch's intra-op threads: a gateway that waits for its in-process experts lends them its cores,
    /// while libtorch's many small operations stay on one thread each (with two, their hand-offs cost more than they
    /// gain: the tiny model at concurrency 32, 16.9-18.5 against 11.4-11.7 ms TPOT). Before <see cref="Configure"/>:
    /// the calling thread's libtorch count.
    /// </summary>
    public static int KernelThreads => Volatile.Read(ref kernels) is > 0 and var threads ? threads : get_num_threads();

    /// <summary>Threads per operation as configured (0 before <see cref="Configure"/>: libtorch's default).</summary>
    public static int Configured => Volatile.Read(ref configured);

    /// <summary>
    /// Makes libtorch's idle OpenMP threads sleep rather than spin (OMP_WAIT_POLICY=PASSIVE, unless the environment
    /// sets it). libgomp reads the variable once, when libtorch loads, so this must run before the first tensor
    /// operation. A spinning worker took half a core from the threads of <see cref="SkinnyGemm"/>, which run between
    /// libtorch's operations (perf on the dbrx-mid local engine at batch 16: 21% of samples spinning in libgomp); with
    /// it, TPOT at batch 1 went from 50 to 36-39 ms and at batch 16 from 150-155 to 116-138 ms (2-core VM, load 2.5).
    /// </summary>
    public static void WaitPassively()
    {
        if (OperatingSystem.IsLinux()) setenv("OMP_WAIT_POLICY", "PASSIVE", overwrite: 0);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    public static void ApplyToCurrentThread()
    {
        var threads = Volatile.Read(ref configured);
        if (threads > 0) set_num_threads(threads);
    }
}
