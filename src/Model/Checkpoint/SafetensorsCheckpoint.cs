using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Rex.Model.Checkpoint;

/// <summary>
/// The weights of a Hugging Face model directory: `model.safetensors`, or shards listed by
/// `model.safetensors.index.json` (`weight_map`: tensor name to file). Shards are opened on first use, so
/// loading a subset (an expert host's experts) opens only the shards that hold it and reads only its bytes.
/// Thread-safe.
/// </summary>
public sealed class SafetensorsCheckpoint : IModelWeights
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    readonly string directory;
    readonly string listingFile;
    readonly IReadOnlyDictionary<string, string> fileOfTensor;
    readonly Dictionary<string, SafetensorsFile> openFiles = new(StringComparer.Ordinal);
    readonly Lock gate = new();

    SafetensorsCheckpoint(string directory, string listingFile, IReadOnlyDictionary<string, string> fileOfTensor)
    {
        this.directory = directory;
        this.listingFile = listingFile;
        this.fileOfTensor = fileOfTensor;
    }

    public IEnumerable<string> TensorNames => fileOfTensor.Keys;

    /// <summary>Tensor bytes read so far from every file of the checkpoint.</summary>
    public long BytesRead
    {
        get
        {
            lock (gate) return openFiles.Values.Sum(f => f.BytesRead);
        }
    }

    public static SafetensorsCheckpoint Open(string directory)
    {
        var single = Path.Combine(directory, SingleFileName);
        if (File.Exists(single))
        {
            var file = SafetensorsFile.Open(single);
            var checkpoint = new SafetensorsCheckpoint(directory, SingleFileName, file.Entries.Keys.ToDictionary(k => k, _ => SingleFileName));
            checkpoint.openFiles.Add(SingleFileName, file);
            return checkpoint;
        }
        var index = Path.Combine(directory, IndexFileName);
        if (File.Exists(index)) return new SafetensorsCheckpoint(directory, IndexFileName, ReadWeightMap(index));
        throw new CheckpointException($"{directory}: no {SingleFileName} or {IndexFileName}");
    }

    /// <summary>Loads a whole tensor, converted to `dtype` on `device`.</summary>
    public Tensor Load(string name, ScalarType dtype, Device device)
    {
        var (file, entry) = Locate(name);
        return Read(file, entry, 0, entry.Shape, dtype, device);
    }

    /// <summary>
    /// Loads rows [firstRow, firstRow + numRows) of a tensor along its first dimension, reading only those bytes:
    /// how one expert's slice of a fused `[experts * ffn, d_model]` tensor is loaded.
    /// </summary>
    public Tensor LoadRows(string name, long firstRow, long numRows, ScalarType dtype, Device device)
    {
        var (file, entry) = Locate(name);
        IModelWeights.RequireRows(file.Path, name, entry.Shape, firstRow, numRows);
        var rowBytes = entry.Shape[0] == 0 ? 0 : entry.ByteLength / entry.Shape[0];
        long[] shape = [numRows, .. entry.Shape[1..]];
        return Read(file, entry, firstRow * rowBytes, shape, dtype, device);
    }

    /// <summary>Loads a tensor and checks it has the shape the model expects.</summary>
    public Tensor Load(string name, long[] expectedShape, ScalarType dtype, Device device)
    {
        RequireShape(name, expectedShape);
        return Load(name, dtype, device);
    }

    public Tensor LoadRows(string name, long[] expectedShape, long firstRow, long numRows, ScalarType dtype, Device device)
    {
        RequireShape(name, expectedShape);
        return LoadRows(name, firstRow, numRows, dtype, device);
    }

    public void RequireShape(string name, long[] expectedShape)
    {
        var (file, entry) = Locate(name);
        if (!entry.Shape.SequenceEqual(expectedShape))
            throw new CheckpointException(
                $"{file.Path}: tensor '{name}' has shape {entry.ShapeText}, but the config needs [{string.Join(", ", expectedShape)}]");
    }

    public void Dispose()
    {
        lock (gate)
        {
            foreach (var file in openFiles.Values) file.Dispose();
            openFiles.Clear();
        }
    }

    (SafetensorsFile File, SafetensorsEntry Entry) Locate(string name)
    {
        if (!fileOfTensor.TryGetValue(name, out var fileName))
            throw new CheckpointException($"{Path.Combine(directory, listingFile)}: missing tensor '{name}'");
        SafetensorsFile file;
        lock (gate)
        {
            if (!openFiles.TryGetValue(fileName, out file!))
            {
                file = SafetensorsFile.Open(Path.Combine(directory, fileName));
                openFiles.Add(fileName, file);
            }
        }
        if (!file.Entries.TryGetValue(name, out var entry))
            throw new CheckpointException($"{file.Path}: missing tensor '{name}' ({IndexFileName} says it is in this file)");
        return (file, entry);
    }

    static Tensor Read(SafetensorsFile file, SafetensorsEntry entry, long byteOffset, long[] shape, ScalarType dtype, Device device)
    {
        var sourceType = SafetensorsDType.WeightType(entry.DType)
            ?? throw new CheckpointException($"{file.Path}: tensor '{entry.Name}' has dtype {entry.DType}, not a floating-point weight type");
        using var scope = NewDisposeScope();
        // One copy from disk into a CPU tensor of the file's dtype, then one conversion to the compute dtype and device.
        var raw = empty(shape, sourceType);
        var flat = raw.view(-1);
        var elementSize = raw.ElementSize;
        // Tensor.bytes is a Span, so at most 2 GiB at a time.
        var chunkElements = (int.MaxValue / 2) / elementSize;
        for (long start = 0; start < flat.shape[0]; start += chunkElements)
        {
            var count = Math.Min(chunkElements, flat.shape[0] - start);
            using var chunk = flat.narrow(0, start, count);
            file.Read(entry, byteOffset + start * elementSize, chunk.bytes);
        }
        var converted = raw.to(dtype, device);
        return converted.MoveToOuterDisposeScope();
    }

    static IReadOnlyDictionary<string, string> ReadWeightMap(string indexPath)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{indexPath}: invalid JSON: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointException($"{indexPath}: missing the weight_map object");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in map.EnumerateObject())
            {
                var file = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : "";
                // A shard is a plain file name beside the index; anything else could read outside the model.
                if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or "..")
                    throw new CheckpointException($"{indexPath}: weight_map entry for tensor '{property.Name}' is not a file name: {property.Value.GetRawText()}");
                if (!File.Exists(Path.Combine(Path.GetDirectoryName(indexPath)!, file)))
                    throw new CheckpointException($"{indexPath}: tensor '{property.Name}' is mapped to {file}, which does not exist");
                result[property.Name] = file;
            }
            return result;
        }
    }
}
