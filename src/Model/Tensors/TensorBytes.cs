using static TorchSharp.torch;

namespace Rex.Model.Tensors;

/// <summary>Tensors to and from raw little-endian bytes, as they cross process boundaries.</summary>
public static class TensorBytes
{
    /// <summary>One copy from the bytes into a CPU tensor of `dtype`, then onto `device`.</summary>
    public static Tensor FromBytes(ReadOnlySpan<byte> bytes, long[] shape, ScalarType dtype, Device device)
    {
        var cpu = empty(shape, dtype);
        if (bytes.Length != cpu.NumberOfElements * cpu.ElementSize)
        {
            cpu.Dispose();
            throw new ArgumentException($"{bytes.Length} bytes do not hold a [{string.Join(", ", shape)}] {dtype} tensor");
        }
        bytes.CopyTo(cpu.bytes);
        if (device.type == TorchSharp.DeviceType.CPU) return cpu;
        using (cpu) return cpu.to(device);
    }

    /// <summary>The tensor's values in `dtype` as bytes (copied to the CPU first if needed).</summary>
    public static byte[] ToBytes(Tensor tensor, ScalarType dtype)
    {
        // A scope for the conversion's intermediates; `to` may return the caller's own tensor, which it does not own.
        using var scope = NewDisposeScope();
        return tensor.to(dtype, CPU).contiguous().bytes.ToArray();
    }
}
