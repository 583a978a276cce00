namespace Rex.Model.Tensors;

/// <summary>A <see cref="SkinnyGemm"/> kernel bound to its operands; a struct, so each one is compiled apart.</summary>
internal interface IBlockKernel
{
    /// <summary>Output columns [4 * start, 4 * end) of every row, clipped to the product's columns.</summary>
    void Blocks(int start, int end);
}
