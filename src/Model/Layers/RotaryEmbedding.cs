using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// Rotate-half rotary position embedding over the whole head, as Hugging Face computes it: inverse
/// frequencies and angles in float32, then cos/sin cast to the compute dtype. Tables cover every position
/// up to max_seq_len, so a step only gathers rows.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    readonly Tensor cos; // [max_seq_len, head_dim]
    readonly Tensor sin; // [max_seq_len, head_dim]

    public RotaryEmbedding(int headDim, int maxSeqLen, double theta, ComputePlacement placement)
    {
        using var scope = NewDisposeScope();
        var exponents = arange(0, headDim, 2, ScalarType.Int64).to(ScalarType.Float32) / headDim;
        var invFreq = 1.0f / pow(tensor((float)theta, ScalarType.Float32), exponents);
        var positions = arange(0, maxSeqLen, ScalarType.Int64).to(ScalarType.Float32);
        var freqs = outer(positions, invFreq);
        var angles = cat([freqs, freqs], 1);
        cos = angles.cos().to(placement.DType, placement.Device).MoveToOuterDisposeScope();
        sin = angles.sin().to(placement.DType, placement.Device).MoveToOuterDisposeScope();
    }

    // x: [rows, heads, head_dim], positions: [rows] int64 -> [rows, heads, head_dim]
    public Tensor Apply(Tensor x, Tensor positions)
    {
        var c = cos.index_select(0, positions).unsqueeze(1);
        var s = sin.index_select(0, positions).unsqueeze(1);
        var half = x.shape[^1] / 2;
        var rotated = cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return x * c + rotated * s;
    }

    public void Dispose()
    {
        cos.Dispose();
        sin.Dispose();
    }
}
