namespace Rex.Model.Layers;

/// <summary>The query and key norms of an attention layer (per head or over the whole projection).</summary>
public sealed record QkNorms(Norm Q, Norm K) : IDisposable
{
    public void Dispose()
    {
        Q.Dispose();
        K.Dispose();
    }
}
