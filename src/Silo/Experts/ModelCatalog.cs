using System.Text.Json.Nodes;
using Rex.Model;
using Rex.Model.Checkpoint;
using Rex.Model.Layers;
using Rex.Model.TinyModel;
using static TorchSharp.torch;

namespace Rex.Silo.Experts;

/// <summary>
/// The model this process serves: its name on the wire and its directory (the built-in tiny model when no path
/// is configured). Opened once and shared: the checkpoint reads are thread-safe, and each expert activation reads
/// only its own rows of it.
/// </summary>
public sealed class ModelCatalog : IDisposable
{
    readonly Lazy<ModelDirectory> directory;

    public ModelCatalog(string? path, string? name, ScalarType dtype, LoadFormat loadFormat = LoadFormat.Safetensors, JsonObject? overrides = null)
    {
        DType = dtype;
        Path = string.IsNullOrEmpty(path) ? BuiltInModel.EnsureCreated() : System.IO.Path.GetFullPath(path);
        Name = string.IsNullOrEmpty(name) ? System.IO.Path.GetFileName(Path.TrimEnd('/')) : name;
        directory = new Lazy<ModelDirectory>(() => ModelDirectory.Open(Path, loadFormat, overrides));
    }

    public string Name { get; }

    public string Path { get; }

    /// <summary>The compute dtype weights are converted to on load.</summary>
    public ScalarType DType { get; }

    public ComputePlacement PlacementOn(Device device) => new(device, DType);

    public ModelDirectory Directory => directory.Value;

    /// <summary>The directory of a model by its served name.</summary>
    public ModelDirectory Get(string model) =>
        model == Name ? Directory : throw new KeyNotFoundException($"model '{model}' is not served here (this silo serves '{Name}')");

    public void Dispose()
    {
        if (directory.IsValueCreated) directory.Value.Dispose();
    }
}
