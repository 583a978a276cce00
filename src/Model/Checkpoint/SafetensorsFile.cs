using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Rex.Model.Checkpoint;

/// <summary>
/// One safetensors file: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the raw little-endian data.
/// Opening reads and validates only the header; tensor bytes are read on request, by positional reads,
/// so a caller that wants a few tensors never touches the others' bytes.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    // The reference implementation refuses headers above 100 MB; so do we, before allocating for one.
    const long MaxHeaderBytes = 100_000_000;

    readonly SafeFileHandle handle;
    readonly Dictionary<string, SafetensorsEntry> entries;
    readonly long dataStart;
    long bytesRead;

    SafetensorsFile(string path, SafeFileHandle handle, Dictionary<string, SafetensorsEntry> entries, long dataStart)
    {
        Path = path;
        this.handle = handle;
        this.entries = entries;
        this.dataStart = dataStart;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, SafetensorsEntry> Entries => entries;

    /// <summary>Tensor bytes read from this file so far (header bytes excluded).</summary>
    public long BytesRead => Interlocked.Read(ref bytesRead);

    public static SafetensorsFile Open(string path)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot open: {e.Message}", e);
        }
        try
        {
            var (entries, dataStart) = ReadHeader(path, handle);
            return new SafetensorsFile(path, handle, entries, dataStart);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads `destination.Length` bytes of a tensor starting `offset` bytes into it.</summary>
    public void Read(SafetensorsEntry entry, long offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > entry.ByteLength)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{Path}: read of {destination.Length} bytes at {offset} is outside tensor '{entry.Name}'");
        var position = dataStart + entry.Begin + offset;
        while (!destination.IsEmpty)
        {
            var n = RandomAccess.Read(handle, destination, position);
            if (n == 0) throw new CheckpointException($"{Path}: tensor '{entry.Name}' ends early: the file is truncated");
            destination = destination[n..];
            position += n;
            Interlocked.Add(ref bytesRead, n);
        }
    }

    public void Dispose() => handle.Dispose();

    static (Dictionary<string, SafetensorsEntry>, long) ReadHeader(string path, SafeFileHandle handle)
    {
        var fileLength = RandomAccess.GetLength(handle);
        if (fileLength < 8)
            throw new CheckpointException($"{path}: truncated: {fileLength} bytes, shorter than the 8-byte header length");
        Span<byte> lengthBytes = stackalloc byte[8];
        RandomAccess.Read(handle, lengthBytes, 0);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8))
            throw new CheckpointException($"{path}: header length {headerLength} goes beyond the file ({fileLength} bytes): truncated or not safetensors");
        if (headerLength > MaxHeaderBytes)
            throw new CheckpointException($"{path}: header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");

        var header = new byte[headerLength];
        RandomAccess.Read(handle, header, 8);
        var dataStart = 8 + (long)headerLength;
        var entries = ParseHeader(path, header, fileLength - dataStart);
        return (entries, dataStart);
    }

    static Dictionary<string, SafetensorsEntry> ParseHeader(string path, byte[] header, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: header is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException($"{path}: header must be a JSON object");
            var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__") continue;
                var entry = ParseEntry(path, property.Name, property.Value);
                if (entry.End > dataLength)
                    throw new CheckpointException(
                        $"{path}: tensor '{entry.Name}' data_offsets [{entry.Begin}, {entry.End}] lie outside the data section ({dataLength} bytes): truncated file or bad offsets");
                entries.Add(entry.Name, entry);
            }
            RejectOverlaps(path, entries.Values);
            return entries;
        }
    }

    static SafetensorsEntry ParseEntry(string path, string name, JsonElement value)
    {
        CheckpointException Bad(string what) => new($"{path}: tensor '{name}': {what}");

        if (value.ValueKind != JsonValueKind.Object) throw Bad("header entry must be an object");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad("missing dtype");
        var dtype = dtypeElement.GetString()!;
        if (!SafetensorsDType.TryGetElementSize(dtype, out var elementSize)) throw Bad($"unknown dtype '{dtype}'");

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad("missing shape");
        var shape = new List<long>();
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var d) || d < 0) throw Bad($"bad shape dimension {dim.GetRawText()}");
            shape.Add(d);
        }

        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Bad("data_offsets must be [begin, end]");
        if (!offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            throw Bad($"bad data_offsets {offsets.GetRawText()}");

        var entry = new SafetensorsEntry(name, dtype, [.. shape], begin, end);
        long expected;
        try
        {
            expected = checked(entry.NumElements * elementSize);
        }
        catch (OverflowException)
        {
            throw Bad($"shape {entry.ShapeText} is too large");
        }
        if (expected != entry.ByteLength)
            throw Bad($"shape {entry.ShapeText} of {dtype} needs {expected} bytes but data_offsets [{begin}, {end}] span {entry.ByteLength}");
        return entry;
    }

    static void RejectOverlaps(string path, IEnumerable<SafetensorsEntry> entries)
    {
        SafetensorsEntry? previous = null;
        foreach (var entry in entries.Where(e => e.ByteLength > 0).OrderBy(e => e.Begin))
        {
            if (previous is not null && entry.Begin < previous.End)
                throw new CheckpointException(
                    $"{path}: tensors '{previous.Name}' [{previous.Begin}, {previous.End}] and '{entry.Name}' [{entry.Begin}, {entry.End}] overlap");
            previous = entry;
        }
    }
}
