using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Tokenization;

namespace Rex.Model;

/// <summary>
/// A Hugging Face model directory: config.json, generation_config.json, tokenizer_config.json and the
/// safetensors weights. Opening reads the configs and the weights' headers, not the weights.
/// </summary>
public sealed class ModelDirectory : IDisposable
{
    ModelDirectory(string path, DbrxConfig config, GenerationConfig generation, DbrxTokenizer tokenizer, SafetensorsCheckpoint checkpoint)
    {
        Path = path;
        Config = config;
        Generation = generation;
        Tokenizer = tokenizer;
        Checkpoint = checkpoint;
    }

    public string Path { get; }
    public DbrxConfig Config { get; }
    public GenerationConfig Generation { get; }
    public DbrxTokenizer Tokenizer { get; }
    public SafetensorsCheckpoint Checkpoint { get; }

    public static ModelDirectory Open(string path)
    {
        if (!Directory.Exists(path)) throw new ModelConfigException($"{path}: model directory not found");
        var config = DbrxConfigReader.ReadDirectory(path);
        var generation = GenerationConfig.ReadDirectory(path);
        var tokenizer = DbrxTokenizer.Load(path);
        return new ModelDirectory(path, config, generation, tokenizer, SafetensorsCheckpoint.Open(path));
    }

    public void Dispose() => Checkpoint.Dispose();
}
