using static TorchSharp.torch;

namespace Rex.Model.Tensors;

/// <summary>
/// How many intra-op threads libtorch uses per tensor operation in this process. OpenMP keeps the count per thread,
/// so each thread that runs tensor work applies it when it starts. Several Rex processes on one machine must share
/// its cores: with libtorch's default (one thread per core each), their idle OpenMP threads spin against each other
/// (measured: a 3-process cluster on 2 cores ran 4x slower than with 1 thread each).
/// </summary>
public static class TorchThreads
{
    static int configured;

    /// <param name="threads">Threads per operation; 0 divides the machine's cores among the `computeThreads` of this process.</param>
    /// <param name="computeThreads">Threads of this process that run tensor work at the same time (engine loop, device executors).</param>
    public static void Configure(int threads, int computeThreads = 1)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "TorchThreads must be 0 (automatic) or positive");
        // One process, several compute threads: each gets its own OpenMP team, and two teams of one-per-core threads
        // on the same cores halve throughput (measured: the one-process default on 2 cores, 768 vs 1495 tokens/s at
        // concurrency 32, 177 vs 293 at 1).
        if (threads == 0) threads = Math.Max(1, Environment.ProcessorCount / Math.Max(1, computeThreads));
        Volatile.Write(ref configured, threads);
        ApplyToCurrentThread();
    }

    /// <summary>Threads per operation as configured (0 before <see cref="Configure"/>: libtorch's default).</summary>
    public static int Configured => Volatile.Read(ref configured);

    public static void ApplyToCurrentThread()
    {
        var threads = Volatile.Read(ref configured);
        if (threads > 0) set_num_threads(threads);
    }
}
