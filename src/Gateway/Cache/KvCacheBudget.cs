using System.Diagnostics;
using System.Globalization;
using Rex.Silo.Devices;

namespace Rex.Gateway.Cache;

/// <summary>
/// How many bytes the paged KV cache may take: `KvCacheBytes` when set (vLLM's `--kv-cache-memory`); else 1 GiB on a
/// CPU, and on a GPU `GpuMemoryUtilization` of the device's memory less what is already used once the gateway's
/// weights are loaded, as vLLM sizes it. TorchSharp exposes no CUDA memory statistics, so the figures come from
/// nvidia-smi. Expert silos that share the GPU load their weights after the gateway: give them room with
/// `KvCacheBytes`.
/// </summary>
public static class KvCacheBudget
{
    public const long DefaultCpuBytes = 1L << 30;

    public static long Bytes(DeviceSpec device, long kvCacheBytes, double gpuMemoryUtilization)
    {
        if (kvCacheBytes > 0) return kvCacheBytes;
        if (device.Device.type != TorchSharp.DeviceType.CUDA) return DefaultCpuBytes;
        var index = device.Device.index;
        var (total, used) = GpuMemory(index);
        var budget = (long)(gpuMemoryUtilization * total) - used;
        if (budget <= 0)
            throw new InvalidOperationException(
                $"GpuMemoryUtilization {gpuMemoryUtilization} of cuda:{index}'s {total >> 20} MiB leaves nothing for the KV cache: {used >> 20} MiB are in use");
        return budget;
    }

    static (long Total, long Used) GpuMemory(int index)
    {
        var start = new ProcessStartInfo("nvidia-smi", $"--query-gpu=memory.total,memory.used --format=csv,noheader,nounits -i {index}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("nvidia-smi did not start");
        var line = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        var parts = line.Split(',');
        if (process.ExitCode != 0 || parts.Length != 2)
            throw new InvalidOperationException($"nvidia-smi could not report cuda:{index}'s memory ({line}); set KvCacheBytes instead");
        long MiB(string s) => long.Parse(s.Trim(), CultureInfo.InvariantCulture) << 20;
        return (MiB(parts[0]), MiB(parts[1]));
    }
}
