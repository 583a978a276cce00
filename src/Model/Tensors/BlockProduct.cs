namespace Rex.Model.Tensors;

/// <summary>
/// The operands of y[m, n] = Σ_k x[m, k] · w[n, k], as <see cref="SkinnyGemm"/>'s kernels take them: x [Rows, Depth]
/// and w [Columns, Depth] row-major, y [Rows, Columns] with contiguous rows <see cref="YStride"/> floats apart.
/// </summary>
internal readonly unsafe struct BlockProduct(float* x, float* w, float* y, long yStride, int rows, int columns, int depth)
{
    public float* X { get; } = x;

    public float* W { get; } = w;

    public float* Y { get; } = y;

    public long YStride { get; } = yStride;

    public int Rows { get; } = rows;

    public int Columns { get; } = columns;

    public int Depth { get; } = depth;
}
