using Rex.Model.Checkpoint;
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

    /// <summary>
    /// Reads only this replica's weights (for fused expert tensors, only its rows) from the catalog's checkpoint, on the
    /// executor's thread and device. The caller registers it (and disposes its weights on the executor when done with it).
    /// </summary>
    public static async Task<HostedExpert> Load(ModelCatalog catalog, ExpertGrainKey key, DeviceExecutor executor)
    {
        var model = catalog.Get(key.Model);
        var glu = await executor.Run(() =>
            new WeightReader(model.Weights, model.Config, catalog.PlacementOn(executor.Device)).Expert(key.Layer, key.Expert));
        return new HostedExpert(key, glu, executor, ExpertBytes.Of(model.Config, catalog.DType));
    }
}
