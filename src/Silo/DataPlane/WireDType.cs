using Rex.Protos.DataPlane;
using static TorchSharp.torch;

namespace Rex.Silo.DataPlane;

/// <summary>The data plane's dtype tags and the torch types they stand for.</summary>
public static class WireDType
{
    public static ScalarType ToScalarType(TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => ScalarType.Float32,
        TensorDType.Bfloat16 => ScalarType.BFloat16,
        TensorDType.Float16 => ScalarType.Float16,
        _ => throw new ArgumentException($"dtype {dtype} is not float32, bfloat16 or float16", "dtype"),
    };

    public static TensorDType FromScalarType(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => TensorDType.Float32,
        ScalarType.BFloat16 => TensorDType.Bfloat16,
        ScalarType.Float16 => TensorDType.Float16,
        _ => throw new ArgumentException($"{dtype} has no data-plane dtype", nameof(dtype)),
    };

    public static int ElementSize(TensorDType dtype) => dtype == TensorDType.Float32 ? 4 : 2;
}
