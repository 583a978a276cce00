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

    /// <summary>0 leaves libtorch's default.</summary>
    public static void Configure(int threads)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "TorchThreads must be 0 (default) or positive");
        Volatile.Write(ref configured, threads);
        ApplyToCurrentThread();
    }

    public static void ApplyToCurrentThread()
    {
        var threads = Volatile.Read(ref configured);
        if (threads > 0) set_num_threads(threads);
    }
}
