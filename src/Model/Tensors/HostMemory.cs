using System.Runtime.InteropServices;

namespace Rex.Model.Tensors;

/// <summary>
/// Keeps memory that CPU tensors free inside the process for the next tensor of the same size. glibc hands blocks
/// above its mmap threshold back to the kernel on free (and trims the heap above its trim threshold), so each new
/// [32, 100352] step tensor (12.8 MB) was mapped afresh and paid a page fault per 4 kB page: the local engine at batch
/// 32 decoded 3029-3143 tokens/s greedy and 2000-2543 at temperature 1 as glibc ships, 3651-3915 and 3170-3363 with
/// the thresholds below (GLIBC_TUNABLES mmap_threshold 32 MiB, trim_threshold 1 GiB; trim alone was slower, since
/// setting any threshold turns off glibc's own raising of the mmap one). The cost: up to 1 GiB of freed memory stays
/// mapped, as PyTorch's CUDA caching allocator keeps freed device memory.
/// </summary>
public static partial class HostMemory
{
    // mallopt(3) parameters.
    const int TrimThreshold = -1;
    const int MmapThreshold = -3;

    /// <summary>The largest mmap threshold glibc accepts on 64-bit systems (4 * 1024 * 1024 * sizeof(long)).</summary>
    const int MmapThresholdBytes = 32 << 20;

    const int TrimThresholdBytes = 1 << 30;

    /// <summary>Applies the thresholds on Linux with glibc; elsewhere (or on a libc without mallopt) does nothing.</summary>
    public static void KeepFreedTensors()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            mallopt(MmapThreshold, MmapThresholdBytes);
            mallopt(TrimThreshold, TrimThresholdBytes);
        }
        catch (EntryPointNotFoundException)
        {
            // musl and other libcs: their allocators behave differently and have no mallopt to tune.
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int mallopt(int param, int value);
}
