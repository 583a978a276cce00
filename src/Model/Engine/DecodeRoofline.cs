using Rex.Model.Checkpoint;
using Rex.Model.Config;

namespace Rex.Model.Engine;

/// <summary>
/// The least a decode step can cost on a memory-bound device, from the model description alone: the bytes one step
/// must read (every weight that is not a routed expert once, each token's embedding row, the routed experts the
/// batch touches, the live KV cache) over the memory bandwidth. Touched experts are counted as uniform routing
/// expects them: E (1 - (1 - k/E)^B) per MoE layer at batch B.
/// </summary>
public static class DecodeRoofline
{
    /// <param name="contextTokens">Tokens each sequence's KV cache holds during the step (on average over a run).</param>
    /// <param name="elementBytes">Bytes per weight and cache value in the compute dtype.</param>
    public static double StepBytes(ModelConfig config, int batch, double contextTokens, int elementBytes)
    {
        var (moe, d) = (config.Moe, (double)config.HiddenSize);
        var perExpert = 3.0 * moe.IntermediateSize * d;
        var numMoeLayers = config.MoeLayers.Count();
        var all = ModelTensors.All(config).Sum(t => t.Shape.Aggregate(1.0, (a, b) => a * b));
        var embedding = config.VocabSize * d;
        // A tied LM head is the embedding, read whole by the head; an untied one is counted among the other weights.
        var alwaysRead = all - numMoeLayers * moe.NumExperts * perExpert - embedding + (config.TieWordEmbeddings ? embedding : 0);
        var touched = moe.NumExperts * (1 - Math.Pow(1 - (double)moe.TopK / moe.NumExperts, batch));
        var kv = 2.0 * config.NumLayers * batch * contextTokens * config.Attention.KvDim;
        return elementBytes * (alwaysRead + batch * d + numMoeLayers * touched * perExpert + kv);
    }

    /// <summary>Decode tokens per second at the roofline: the batch's tokens per step over the step's bytes at this bandwidth.</summary>
    public static double TokensPerSecond(ModelConfig config, int batch, double contextTokens, int elementBytes, double bytesPerSecond) =>
        batch * bytesPerSecond / StepBytes(config, batch, contextTokens, elementBytes);
}
