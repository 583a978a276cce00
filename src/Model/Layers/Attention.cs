using Rex.Model.Cache;
using Rex.Model.Config;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// Self-attention over each sequence's KV cache: one fused QKV projection (a family's separate q, k and v are
/// fused on load) with optional biases; q/k norms over the whole projection or per head; q, k and v clamped to
/// ±clip_qkv; rotary embedding on queries and keys; grouped-query attention; the output projection.
/// </summary>
public sealed class Attention(AttentionConfig config, int layer, Linear qkvProjection, QkNorms? qkNorms, Linear output, RotaryEmbedding rotary)
    : IDisposable
{
    readonly int groups = config.NumHeads / config.NumKvHeads;

    // x: [rows, hidden] (already normed) -> [rows, hidden]
    public Tensor Forward(Tensor x, ForwardBatch batch)
    {
        var rows = x.shape[0];
        var (q, k, v) = Project(x);
        q = rotary.Apply(q, batch.Positions);
        k = rotary.Apply(k, batch.Positions);

        if (batch.DecodeIsWholeBatch) return output.Forward(AttendDecode(q, k, v, batch.Decode[0]));
        var outputs = new List<Tensor>(batch.Segments.Count);
        for (var i = 0; i < batch.Segments.Count; i++)
        {
            if (batch.InDecode(i)) continue;
            var segment = batch.Segments[i];
            var start = batch.RowStarts[i];
            var n = segment.NumNewTokens;
            var past = segment.Cache.Length;
            var (keys, values) = segment.Cache.Append(layer, k.narrow(0, start, n), v.narrow(0, start, n));
            outputs.Add(Attend(q.narrow(0, start, n).transpose(0, 1), keys, values, past)
                .transpose(0, 1).reshape(n, config.QDim));
        }
        var others = outputs.Count switch { 0 => null, 1 => outputs[0], _ => cat(outputs, 0) };
        if (batch.Decode.Count == 0) return output.Forward(others!);
        // Each decode group's rows, and the rest in row order, go back to their places among the step's rows.
        var attended = empty(rows, config.QDim, x.dtype, x.device);
        foreach (var group in batch.Decode) attended.index_copy_(0, group.Rows, AttendDecode(q, k, v, group));
        if (others is not null) attended.index_copy_(0, batch.OtherRows!, others);
        return output.Forward(attended);
    }

    // x: [rows, hidden] -> q [rows, heads, head_dim], k and v [rows, kv_heads, head_dim], before the rotary embedding
    (Tensor Q, Tensor K, Tensor V) Project(Tensor x)
    {
        var rows = x.shape[0];
        var qkv = qkvProjection.Forward(x);
        // Clamping the fused rows clamps q, k and v alike; a whole-projection norm comes first, so then they clamp apart.
        var clipFused = config.ClipQkv is not null && config.QkNorm != QkNormKind.Full;
        if (clipFused) qkv = qkv.clamp(-config.ClipQkv!.Value, config.ClipQkv.Value);
        var parts = qkv.split([config.QDim, config.KvDim, config.KvDim], 1);
        var (q, k, v) = (parts[0], parts[1], parts[2]);
        if (config.QkNorm == QkNormKind.Full)
        {
            (q, k) = (qkNorms!.Q.Apply(q), qkNorms.K.Apply(k));
            if (config.ClipQkv is { } clip) (q, k, v) = (q.clamp(-clip, clip), k.clamp(-clip, clip), v.clamp(-clip, clip));
        }
        q = q.view(rows, config.NumHeads, config.HeadDim);
        k = k.view(rows, config.NumKvHeads, config.HeadDim);
        v = v.view(rows, config.NumKvHeads, config.HeadDim);
        if (config.QkNorm == QkNormKind.PerHead) (q, k) = (qkNorms!.Q.Apply(q), qkNorms.K.Apply(k));
        return (q, k, v);
    }

    // q: [rows, heads, head_dim]; k, v: [rows, kv_heads, head_dim] -> [group rows, heads * head_dim]
    Tensor AttendDecode(Tensor q, Tensor k, Tensor v, PagedDecodeBatch group)
    {
        // A group as large as the step is every row, in row order: nothing to pick.
        if (group.Count != q.shape[0])
        {
            q = q.index_select(0, group.Rows);
            k = k.index_select(0, group.Rows);
            v = v.index_select(0, group.Rows);
        }
        var (keys, values) = group.Append(layer, k, v);
        // One query per sequence: a kv head's query heads stand in for query positions ([n, kv_heads, groups,
        // head_dim]), so they share its keys without repeat_interleave; head h = kv head h / groups, as in Attend.
        var grouped = q.view(group.Count, config.NumKvHeads, groups, config.HeadDim);
        return nn.functional.scaled_dot_product_attention(grouped, keys, values, group.Mask).reshape(group.Count, config.QDim);
    }

    // q: [heads, n, head_dim]; keys, values: [kv_heads, past + n, head_dim] -> [heads, n, head_dim]
    Tensor Attend(Tensor q, Tensor keys, Tensor values, int past)
    {
        if (groups > 1)
        {
            // Query head h reads kv head h / groups, as transformers' repeat_kv lays them out.
            keys = keys.repeat_interleave(groups, 0);
            values = values.repeat_interleave(groups, 0);
        }
        var n = q.shape[1];
        // A batch dimension of 1: the fused (flash, memory-efficient) kernels take only 4-D inputs; 3-D ones fall back
        // to the math kernel, which builds [heads, n, n] scores (in fp32 for bf16 inputs).
        q = q.unsqueeze(0);
        keys = keys.unsqueeze(0);
        values = values.unsqueeze(0);
        if (past == 0) return nn.functional.scaled_dot_product_attention(q, keys, values, is_casual: n > 1).squeeze(0);
        if (n == 1) return nn.functional.scaled_dot_product_attention(q, keys, values).squeeze(0);
        // A chunk after cached tokens: query i (position past + i) sees keys 0 ..= past + i.
        var total = past + n;
        using var mask = ones(n, total, ScalarType.Bool, q.device).tril(past);
        return nn.functional.scaled_dot_product_attention(q, keys, values, mask).squeeze(0);
    }

    public void Dispose()
    {
        qkvProjection.Dispose();
        qkNorms?.Dispose();
        output.Dispose();
    }
}
