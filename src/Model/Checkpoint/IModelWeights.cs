using static TorchSharp.torch;

namespace Rex.Model.Checkpoint;

/// <summary>
/// Where a model's layers get their tensors: a safetensors checkpoint, or dummy weights drawn at load time. Both
/// check the shape the config needs and return the tensor converted to the placement's dtype on its device.
/// </summary>
public interface IModelWeights : IDisposable
{
    Tensor Load(string name, long[] shape, ScalarType dtype, Device device);

    /// <summary>Rows [firstRow, firstRow + numRows) along the first dimension of a tensor of shape `shape`.</summary>
    Tensor LoadRows(string name, long[] shape, long firstRow, long numRows, ScalarType dtype, Device device);

    /// <summary>Throws unless rows [firstRow, firstRow + numRows) lie inside a tensor of this shape; `source` names where it lives.</summary>
    static void RequireRows(string source, string name, long[] shape, long firstRow, long numRows)
    {
        if (shape.Length == 0 || firstRow < 0 || numRows < 0 || firstRow + numRows > shape[0])
            throw new CheckpointException($"{source}: tensor '{name}' of shape [{string.Join(", ", shape)}] has no rows [{firstRow}, {firstRow + numRows})");
    }
}
