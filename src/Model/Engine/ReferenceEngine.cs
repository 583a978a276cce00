using System.Text.Json.Nodes;
using Rex.Model.Cache;
using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Layers;
using Rex.Model.Tokenization;
using static TorchSharp.torch;

namespace Rex.Model.Engine;

/// <summary>
/// The single-process engine: generates for a batch of prompts of different lengths with the whole model in
/// one process, one prefill step for all prompts and then one decode step per token for every sequence still
/// running. The oracle the distributed engine is checked against. Not thread-safe: one caller at a time
/// (TorchSharp's inference mode and dispose scopes are per thread).
/// </summary>
public sealed class ReferenceEngine(LocalModel model, ITokenizer? tokenizer, IChatPrompt? chat, GenerationConfig generation) : IDisposable
{
    public ModelConfig Config => model.Config;

    /// <summary>The model's tokenizer; null for a model that takes token ids only.</summary>
    public ITokenizer? Tokenizer => tokenizer;

    /// <summary>How the model's conversations become prompts; null for a model without a chat template.</summary>
    public IChatPrompt? Chat => chat;

    public static ReferenceEngine Load(string modelPath, ComputePlacement placement, LoadFormat loadFormat = LoadFormat.Safetensors,
        JsonObject? overrides = null)
    {
        using var directory = ModelDirectory.Open(modelPath, loadFormat, overrides);
        return new ReferenceEngine(LocalModel.Load(directory, placement), directory.Tokenizer, directory.Chat, directory.Generation);
    }

    /// <param name="prefilled">Called once the prefill step has sampled every sequence's first token (for timing it
    /// inside the same run as the decode steps).</param>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> requests, Action? prefilled = null)
    {
        for (var i = 0; i < requests.Count; i++)
            RequestValidator.Validate(requests[i], Config, Config.MaxPositionEmbeddings, requests.Count == 1 ? "prompt" : $"requests[{i}].prompt");
        var sequences = requests
            .Select(r => new Sequence(r.PromptIds, r.Sampling, generation.EosTokenIds, tokenizer, Config.MaxPositionEmbeddings))
            .ToArray();
        var caches = sequences.Select(s => model.Backbone.NewCache(s.MaxLength)).ToArray();
        try
        {
            // Prefill: every prompt in one step, rows laid end to end.
            Step(sequences, caches, s => s.PromptIds);
            prefilled?.Invoke();
            while (true)
            {
                var running = Enumerable.Range(0, sequences.Length).Where(i => !sequences[i].IsFinished).ToArray();
                if (running.Length == 0) break;
                Step(running.Select(i => sequences[i]).ToArray(), running.Select(i => caches[i]).ToArray(), s => [s.LastToken]);
            }
        }
        finally
        {
            foreach (var cache in caches) cache.Dispose();
        }
        return sequences.Select(s => s.Result()).ToArray();
    }

    /// <summary>Logits at every position of a full causal forward pass over the prompt: [positions][vocab].</summary>
    public float[][] PromptLogits(IReadOnlyList<int> promptIds)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var logits = FullForward(promptIds).to(CPU);
        return Enumerable.Range(0, promptIds.Count).Select(t => logits[t].data<float>().ToArray()).ToArray();
    }

    /// <summary>The top `k` (id, logit) pairs at every position of a full causal forward pass.</summary>
    public (int[] Ids, float[] Logits)[] PromptTopLogits(IReadOnlyList<int> promptIds, int k)
    {
        if (k < 1 || k > Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(k), k, $"top must be in [1, {Config.VocabSize}]");
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var (values, ids) = FullForward(promptIds).topk(k, dim: -1);
        var topValues = values.to(CPU);
        var topIds = ids.to(CPU);
        return Enumerable.Range(0, promptIds.Count)
            .Select(t => (topIds[t].data<long>().Select(i => (int)i).ToArray(), topValues[t].data<float>().ToArray()))
            .ToArray();
    }

    // The prompt through every layer from an empty cache, in the caller's scope: [positions, vocab] logits.
    Tensor FullForward(IReadOnlyList<int> promptIds)
    {
        RequestValidator.ValidatePrompt(promptIds, Config, Config.MaxPositionEmbeddings, "token_ids");
        using var cache = model.Backbone.NewCache(promptIds.Count);
        using var batch = new ForwardBatch([new BatchSegment(cache, promptIds.Count)], model.Backbone.Placement.Device);
        return model.Backbone.Logits(model.Forward(Ids(promptIds), batch));
    }

    // One forward step over `NewTokens(s)` of every sequence, then one sampled token per sequence.
    void Step(Sequence[] sequences, KvCache[] caches, Func<Sequence, IReadOnlyList<int>> newTokens)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var tokens = sequences.Select(newTokens).ToArray();
        using var batch = new ForwardBatch(
            tokens.Select((t, i) => new BatchSegment(caches[i], t.Count)).ToArray(), model.Backbone.Placement.Device);
        var hidden = model.Forward(Ids(tokens.SelectMany(t => t).ToArray()), batch);
        var lastRows = tensor(batch.LastRows(), ScalarType.Int64, hidden.device);
        var logits = model.Backbone.Logits(hidden.index_select(0, lastRows));
        SequenceSampler.SampleNext(logits, sequences);
    }

    Tensor Ids(IReadOnlyList<int> ids) =>
        tensor(ids.Select(i => (long)i).ToArray(), ScalarType.Int64, model.Backbone.Placement.Device);

    public void Dispose() => model.Dispose();
}
