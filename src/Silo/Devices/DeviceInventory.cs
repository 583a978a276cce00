namespace Rex.Silo.Devices;

/// <summary>
/// The devices of one silo, each with its executor, and the expert bytes placed on each. A new expert goes to
/// the device with the fewest bytes (then the fewest experts), so replicas and layers spread over GPUs.
/// </summary>
public sealed class DeviceInventory : IDisposable
{
    readonly Slot[] slots;
    readonly Lock gate = new();

    sealed class Slot(DeviceExecutor executor)
    {
        public DeviceExecutor Executor { get; } = executor;
        public long Bytes { get; set; }
        public int Experts { get; set; }
    }

    public DeviceInventory(IEnumerable<DeviceSpec> devices) =>
        slots = devices.Select(d => new Slot(new DeviceExecutor(d))).ToArray();

    public IReadOnlyList<DeviceExecutor> Executors => slots.Select(s => s.Executor).ToArray();

    /// <summary>Reserves room for an expert on the least loaded device.</summary>
    public DeviceExecutor Reserve(long bytes)
    {
        lock (gate)
        {
            var slot = slots.OrderBy(s => s.Bytes).ThenBy(s => s.Experts).First();
            slot.Bytes += bytes;
            slot.Experts++;
            return slot.Executor;
        }
    }

    public void Release(DeviceExecutor executor, long bytes)
    {
        lock (gate)
        {
            var slot = slots.Single(s => s.Executor == executor);
            slot.Bytes -= bytes;
            slot.Experts--;
        }
    }

    public void Dispose()
    {
        foreach (var slot in slots) slot.Executor.Dispose();
    }
}
