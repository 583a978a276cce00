using static TorchSharp.torch;

namespace Rex.Model.Checkpoint;

/// <summary>The element types of the safetensors format, with their sizes and, for floating types, the torch type.</summary>
public static class SafetensorsDType
{
    static readonly Dictionary<string, int> ElementSizes = new()
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    public static bool TryGetElementSize(string dtype, out int size) => ElementSizes.TryGetValue(dtype, out size);

    /// <summary>The torch type a weight of this dtype is read as before conversion to the compute type; null if not a weight type.</summary>
    public static ScalarType? WeightType(string dtype) => dtype switch
    {
        "BF16" => ScalarType.BFloat16,
        "F16" => ScalarType.Float16,
        "F32" => ScalarType.Float32,
        "F64" => ScalarType.Float64,
        _ => null,
    };
}
