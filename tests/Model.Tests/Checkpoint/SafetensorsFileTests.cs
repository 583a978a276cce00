using System.Buffers.Binary;
using System.Text;
using Rex.Model.Checkpoint;
using Rex.Tests;

namespace Rex.Model.Tests.Checkpoint;

/// <summary>Every malformed safetensors file is refused with an error naming the file (and the tensor, where one is at fault).</summary>
public sealed class SafetensorsFileTests : IDisposable
{
    readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    string WriteRaw(byte[] bytes)
    {
        var path = directory.File("model.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // A file with the given header text and `dataBytes` bytes of data; `declaredLength` overrides the length prefix.
    string WriteFile(string header, int dataBytes, ulong? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return WriteRaw(bytes);
    }

    CheckpointException Refused(string path) => Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));

    [Fact]
    public void ReadsEntriesOfAValidFile()
    {
        var path = WriteFile("""{"__metadata__": {"format": "pt"}, "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, "b": {"dtype": "BF16", "shape": [4], "data_offsets": [24, 32]}}""", 32);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["a", "b"], file.Entries.Keys.Order());
        Assert.Equal(new long[] { 2, 3 }, file.Entries["a"].Shape);
        Assert.Equal(("BF16", 24L, 32L), (file.Entries["b"].DType, file.Entries["b"].Begin, file.Entries["b"].End));
    }

    [Fact]
    public void TruncatedBeforeTheHeaderLength()
    {
        var path = WriteRaw([1, 2, 3, 4, 5]);
        var error = Refused(path);
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated: 5 bytes", error.Message);
    }

    [Fact]
    public void HeaderLengthBeyondTheFile()
    {
        var path = WriteFile("""{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}""", 4, declaredLength: 10_000);
        var error = Refused(path);
        Assert.Contains(path, error.Message);
        Assert.Contains("header length 10000 goes beyond the file", error.Message);
    }

    [Fact]
    public void HeaderThatIsNotJson()
    {
        var path = WriteFile("""{"a": {"dtype": "F32", "shape": [1], """, 4);
        Assert.Contains($"{path}: header is not valid JSON", Refused(path).Message);
    }

    [Fact]
    public void OffsetsOutsideTheData()
    {
        var path = WriteFile("""{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}""", 12);
        var error = Refused(path);
        Assert.Contains($"{path}: tensor 'a' data_offsets [0, 16] lie outside the data section (12 bytes)", error.Message);
    }

    [Fact]
    public void TruncatedData() =>
        Assert.Contains("truncated file", Refused(WriteFile("""{"w": {"dtype": "BF16", "shape": [8, 8], "data_offsets": [0, 128]}}""", 100)).Message);

    [Fact]
    public void OverlappingTensors()
    {
        var path = WriteFile("""{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}""", 16);
        var error = Refused(path);
        Assert.Contains(path, error.Message);
        Assert.Contains("'a' [0, 16] and 'b' [8, 16] overlap", error.Message);
    }

    [Fact]
    public void ShapeAndDtypeDisagreeWithTheByteRange()
    {
        var path = WriteFile("""{"a": {"dtype": "BF16", "shape": [3, 4], "data_offsets": [0, 48]}}""", 48);
        Assert.Contains($"{path}: tensor 'a': shape [3, 4] of BF16 needs 24 bytes but data_offsets [0, 48] span 48", Refused(path).Message);
    }

    [Theory]
    [InlineData("""{"a": {"dtype": "Q4", "shape": [1], "data_offsets": [0, 1]}}""", "tensor 'a': unknown dtype 'Q4'")]
    [InlineData("""{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}""", "tensor 'a': bad shape dimension -1")]
    [InlineData("""{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}""", "tensor 'a': bad data_offsets")]
    [InlineData("""{"a": {"dtype": "F32", "shape": [1]}}""", "tensor 'a': data_offsets must be [begin, end]")]
    [InlineData("""{"a": {"shape": [1], "data_offsets": [0, 4]}}""", "tensor 'a': missing dtype")]
    [InlineData("""[]""", "header must be a JSON object")]
    public void MalformedEntries(string header, string message)
    {
        var path = WriteFile(header, 8);
        var error = Refused(path);
        Assert.Contains(path, error.Message);
        Assert.Contains(message, error.Message);
    }
}
