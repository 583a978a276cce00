using Rex.Gateway.Cache;
using Rex.Silo.Devices;

namespace Rex.Gateway.Tests.Cache;

public sealed class KvCacheBudgetTests
{
    [Fact]
    public void OnACpuTheBudgetIsOneGibUnlessKvCacheBytesIsSet()
    {
        Assert.Equal(1L << 30, KvCacheBudget.Bytes(DeviceSpec.Parse("cpu"), kvCacheBytes: 0, gpuMemoryUtilization: 0.9));
        Assert.Equal(1L << 30, KvCacheBudget.Bytes(DeviceSpec.Parse("cpu:1"), kvCacheBytes: 0, gpuMemoryUtilization: 0.1));
        Assert.Equal(12345, KvCacheBudget.Bytes(DeviceSpec.Parse("cpu"), kvCacheBytes: 12345, gpuMemoryUtilization: 0.9));
    }

    [Fact]
    public void OnAGpuASetKvCacheBytesIsTakenAsItIsWithoutAskingTheDevice()
    {
        // No GPU or nvidia-smi is needed: the setting is the answer, as vLLM's --kv-cache-memory is.
        Assert.Equal(3L << 30, KvCacheBudget.Bytes(DeviceSpec.Parse("cuda:7"), kvCacheBytes: 3L << 30, gpuMemoryUtilization: 0.9));
    }
}
