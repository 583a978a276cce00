using Rex.Silo.Devices;

namespace Rex.Silo.Tests.Devices;

public sealed class DeviceInventoryTests
{
    [Fact]
    public void ExpertsGoToTheDeviceWithTheFewestBytes()
    {
        using var inventory = new DeviceInventory(DeviceSpec.ParseList("cpu:0,cpu:1"));
        var first = inventory.Reserve(100);
        var second = inventory.Reserve(100);
        Assert.NotEqual(first, second);
        var third = inventory.Reserve(50);
        var fourth = inventory.Reserve(10);
        Assert.NotEqual(third, fourth); // the 150-byte device is now fuller than the 100-byte one
        inventory.Release(third, 50);
        inventory.Release(first, 100);
        Assert.Equal(first.Spec.Name, inventory.Reserve(1).Spec.Name);
    }
}
