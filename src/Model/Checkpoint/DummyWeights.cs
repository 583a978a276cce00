using System.Text;
using Rex.Model.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace Rex.Model.Checkpoint;

/// <summary>
/// Weights drawn at load time instead of read from files, as vLLM's `--load-format dummy`: benchmarks of a model
/// shape that exists nowhere on disk (a real config at fewer layers, sized to one GPU) need only its config.json. Each request
/// (a tensor, or the block of rows an expert host loads) is drawn on the target device, in the target dtype, by its
/// own generator seeded with its name and rows. So every process of a cluster draws the same values for the same
/// weights without exchanging them, and nothing of the model's size is ever built on the host. The values depend on
/// the device type (CPU and CUDA generators differ) and on how a tensor is requested: whole or by rows.
/// </summary>
public sealed class DummyWeights(ModelConfig config) : IModelWeights
{
    readonly Dictionary<string, ModelTensors.TensorSpec> tensors =
        ModelTensors.All(config).ToDictionary(t => t.Name, StringComparer.Ordinal);

    public Tensor Load(string name, long[] shape, ScalarType dtype, Device device) =>
        Draw(Require(name, shape), 0, shape, dtype, device);

    public Tensor LoadRows(string name, long[] shape, long firstRow, long numRows, ScalarType dtype, Device device)
    {
        var tensor = Require(name, shape);
        IModelWeights.RequireRows("dummy weights", name, shape, firstRow, numRows);
        return Draw(tensor, firstRow, [numRows, .. shape[1..]], dtype, device);
    }

    public void Dispose()
    {
    }

    ModelTensors.TensorSpec Require(string name, long[] shape)
    {
        if (!tensors.TryGetValue(name, out var tensor))
            throw new CheckpointException($"dummy weights: a {config.ModelType} model of this config has no tensor '{name}'");
        if (!tensor.Shape.SequenceEqual(shape))
            throw new CheckpointException(
                $"dummy weights: tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}], not [{string.Join(", ", shape)}]");
        return tensor;
    }

    // TorchSharp's generators are CPU generators whatever device they are given, so a CUDA draw reseeds the device's
    // default generator instead, under a lock: the experts of several device executors load concurrently.
    static readonly Lock CudaDraws = new();

    static Tensor Draw(ModelTensors.TensorSpec tensor, long firstRow, long[] shape, ScalarType dtype, Device device)
    {
        return StandardNormal(Seed(tensor.Name, firstRow, shape[0]), shape, dtype, device).mul_(tensor.Std).add_(tensor.Mean);
    }

    static Tensor StandardNormal(ulong seed, long[] shape, ScalarType dtype, Device device)
    {
        if (device.type != DeviceType.CUDA)
        {
            using var generator = new Generator(seed, device);
            return randn(shape, dtype, device, generator: generator);
        }
        lock (CudaDraws)
        {
            cuda.manual_seed_all((long)seed);
            return randn(shape, dtype, device);
        }
    }

    // FNV-1a over the name and the row range: stable across processes and runs, unlike string.GetHashCode.
    static ulong Seed(string name, long firstRow, long numRows)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes($"{name}[{firstRow}:{firstRow + numRows}]")) hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }
}
