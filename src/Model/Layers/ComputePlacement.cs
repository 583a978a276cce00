using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>Where a model's weights live and the dtype its math runs in (weights are converted on load).</summary>
public sealed record ComputePlacement(Device Device, ScalarType DType)
{
    /// <summary>float32 on the CPU: the reference placement, exact to the fixtures' fp32 logits.</summary>
    public static ComputePlacement Cpu { get; } = new(CPU, ScalarType.Float32);

    /// <summary>Bytes per weight and cache value in the compute dtype (every dtype <see cref="ParseDType"/> gives).</summary>
    public int ElementBytes => BytesOf(DType);

    public static int BytesOf(ScalarType dtype) => dtype == ScalarType.Float32 ? 4 : 2;

    public static ScalarType ParseDType(string name) => name.ToLowerInvariant() switch
    {
        "float32" or "fp32" or "f32" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float16" or "fp16" or "f16" or "half" => ScalarType.Float16,
        _ => throw new ArgumentException($"dtype '{name}' is not one of float32, bfloat16, float16", "dtype"),
    };
}
