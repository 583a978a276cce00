using Rex.Silo.Devices;

namespace Rex.Silo.Tests.Devices;

public sealed class CudaAvailabilityTests
{
    [Fact]
    public void CpuDevicesNeedNoCuda() => CudaAvailability.Require(DeviceSpec.ParseList("cpu:0,cpu:1"), "Devices");

    [Fact]
    public void ACudaDeviceThatIsNotThereStopsStartUpNamingTheSettingAndTheReason()
    {
        // On a machine without CUDA the reason is the loader's; on one with CUDA, the device count.
        var error = Assert.ThrowsAny<Exception>(() => CudaAvailability.Require(DeviceSpec.ParseList("cpu,cuda:99"), "Devices"));
        Assert.Contains("Devices names cuda:99, but", error.Message);
    }
}
