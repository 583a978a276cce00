using System.Text.Json.Nodes;
using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Models;
using Rex.Model.Tokenization;

namespace Rex.Model;

/// <summary>
/// A Hugging Face model directory: config.json, generation_config.json, tokenizer_config.json and the
/// safetensors weights. Opening reads the configs and the weights' headers, not the weights. With the dummy load
/// format only config.json is needed and the weights are drawn as they are loaded. Overrides are merged into
/// config.json as vLLM's `--hf-overrides` (a real model's shapes at fewer layers, say).
/// </summary>
public sealed class ModelDirectory : IDisposable
{
    ModelDirectory(string path, ModelConfig config, GenerationConfig generation, ITokenizer? tokenizer, IChatPrompt? chat, IModelWeights weights)
    {
        Path = path;
        Config = config;
        Generation = generation;
        Tokenizer = tokenizer;
        Chat = chat;
        Weights = weights;
    }

    public string Path { get; }
    public ModelConfig Config { get; }
    public GenerationConfig Generation { get; }
    /// <summary>The model's tokenizer; null for a model without one, which takes token ids only.</summary>
    public ITokenizer? Tokenizer { get; }

    /// <summary>How conversations become prompts; null for a model with neither a chat template nor ChatML's tokens.</summary>
    public IChatPrompt? Chat { get; }
    public IModelWeights Weights { get; }

    public static ModelDirectory Open(string path, LoadFormat loadFormat = LoadFormat.Safetensors, JsonObject? overrides = null)
    {
        if (!Directory.Exists(path)) throw new ModelConfigException($"{path}: model directory not found");
        var config = ModelConfigReader.ReadDirectory(path, overrides);
        var generation = GenerationConfig.ReadDirectory(path, config);
        var tokenizer = TokenizerLoader.Load(path, ModelFamilies.DefaultTokenizer(config.ModelType));
        var chat = tokenizer is null ? null
            : JinjaChatTemplate.Load(path) is { } template ? new TemplatedChat(template, tokenizer) : (IChatPrompt?)ChatMlFallback.For(tokenizer);
        IModelWeights weights = loadFormat == LoadFormat.Dummy ? new DummyWeights(config) : SafetensorsCheckpoint.Open(path);
        return new ModelDirectory(path, config, generation, tokenizer, chat, weights);
    }

    public void Dispose() => Weights.Dispose();
}
