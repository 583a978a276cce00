using Rex.Silo.Devices;

namespace Rex.Silo.Tests.Devices;

public sealed class DeviceSpecTests
{
    [Fact]
    public void ParsesCpuLogicalCpusAndCuda()
    {
        var devices = DeviceSpec.ParseList("cpu:0, cpu:1,cuda:2");
        Assert.Equal(["cpu:0", "cpu:1", "cuda:2"], devices.Select(d => d.Name));
        Assert.Equal(TorchSharp.DeviceType.CPU, devices[1].Device.type);
        Assert.Equal((TorchSharp.DeviceType.CUDA, 2), (devices[2].Device.type, devices[2].Device.index));
        Assert.Equal(TorchSharp.DeviceType.CPU, DeviceSpec.Parse("cpu").Device.type);
    }

    [Theory]
    [InlineData("", "must name at least one device")]
    [InlineData("cpu,cpu", "lists a device twice")]
    [InlineData("gpu:0", "device 'gpu:0' is not cpu, cpu:N or cuda:N")]
    [InlineData("cuda:-1", "device 'cuda:-1' is not")]
    public void RejectsWhatIsNotADeviceList(string devices, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => DeviceSpec.ParseList(devices)).Message);
}
