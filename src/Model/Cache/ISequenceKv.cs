using static TorchSharp.torch;

namespace Rex.Model.Cache;

/// <summary>
/// Where one sequence's keys and values live during a step: a contiguous <see cref="KvCache"/> (the reference
/// engine) or slots of a shared <see cref="PagedKvPool"/> (the serving engine). Attention only appends and reads.
/// </summary>
public interface ISequenceKv
{
    /// <summary>Tokens whose keys and values are stored (the new rows continue from here).</summary>
    int Length { get; }

    /// <summary>
    /// Stores `n` new rows for one layer and returns all keys and values up to and including them.
    /// k, v: [n, kv_heads, head_dim] -> ([kv_heads, Length + n, head_dim], [kv_heads, Length + n, head_dim])
    /// </summary>
    (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v);

    /// <summary>Makes the step's `n` appended rows part of the sequence (after every layer has appended them).</summary>
    void Commit(int n);
}
