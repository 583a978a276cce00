using Rex.Model.Cache;
using Rex.Model.Config;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// DBRX self-attention: fused Wqkv (clamped to ±clip_qkv before the split), rotary embedding on queries and
/// keys, grouped-query attention over each sequence's KV cache, out_proj.
/// </summary>
public sealed class Attention(DbrxConfig config, int layer, Tensor wqkv, Tensor outProj, RotaryEmbedding rotary) : IDisposable
{
    readonly int groups = config.NumHeads / config.NumKvHeads;

    // x: [rows, d_model] (already normed) -> [rows, d_model]
    public Tensor Forward(Tensor x, ForwardBatch batch)
    {
        var qkv = nn.functional.linear(x, wqkv);
        if (config.ClipQkv is { } clip) qkv = qkv.clamp(-clip, clip);
        var parts = qkv.split([config.DModel, config.KvDim, config.KvDim], 1);
        var rows = x.shape[0];
        var q = rotary.Apply(parts[0].view(rows, config.NumHeads, config.HeadDim), batch.Positions);
        var k = rotary.Apply(parts[1].view(rows, config.NumKvHeads, config.HeadDim), batch.Positions);
        var v = parts[2].view(rows, config.NumKvHeads, config.HeadDim);

        if (batch.DecodeIsWholeBatch) return nn.functional.linear(AttendDecode(q, k, v, batch.Decode[0]), outProj);
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
                .transpose(0, 1).reshape(n, config.DModel));
        }
        var others = outputs.Count switch { 0 => null, 1 => outputs[0], _ => cat(outputs, 0) };
        if (batch.Decode.Count == 0) return nn.functional.linear(others!, outProj);
        // Each decode group's rows, and the rest in row order, go back to their places among the step's rows.
        var attended = empty(rows, config.DModel, x.dtype, x.device);
        foreach (var group in batch.Decode) attended.index_copy_(0, group.Rows, AttendDecode(q, k, v, group));
        if (others is not null) attended.index_copy_(0, batch.OtherRows!, others);
        return nn.functional.linear(attended, outProj);
    }

    // q: [rows, heads, head_dim]; k, v: [rows, kv_heads, head_dim] -> [group rows, d_model]
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
        return nn.functional.scaled_dot_product_attention(grouped, keys, values, group.Mask).reshape(group.Count, config.DModel);
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
        wqkv.Dispose();
        outProj.Dispose();
    }
}
