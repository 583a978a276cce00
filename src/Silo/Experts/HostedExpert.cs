using Rex.Model.Layers;
using Rex.Protos.Grains;
using Rex.Silo.Devices;

namespace Rex.Silo.Experts;

/// <summary>An expert replica whose weights live on one of this silo's devices, with the rows it has served.</summary>
public sealed class HostedExpert(ExpertGrainKey key, ExpertGlu glu, DeviceExecutor executor, long bytes)
{
    long rowsServed;

    public ExpertGrainKey Key { get; } = key;

    /// <summary>The weights; touch only on <see cref="Executor"/>'s thread.</summary>
    public ExpertGlu Glu { get; } = glu;

    public DeviceExecutor Executor { get; } = executor;

    public long Bytes { get; } = bytes;

    public long RowsServed => Interlocked.Read(ref rowsServed);

    public void CountRows(int rows) => Interlocked.Add(ref rowsServed, rows);
}
