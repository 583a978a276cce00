namespace Rex.Model.Checkpoint;

/// <summary>How a model's weights are loaded, named as vLLM's `--load-format`.</summary>
public enum LoadFormat
{
    /// <summary>The directory's safetensors checkpoint (`auto` and `safetensors`).</summary>
    Safetensors,

    /// <summary>Random weights drawn at load time (<see cref="DummyWeights"/>): only config.json is read.</summary>
    Dummy,
}

public static class LoadFormats
{
    public static LoadFormat Parse(string name) => name.ToLowerInvariant() switch
    {
        "" or "auto" or "safetensors" => LoadFormat.Safetensors,
        "dummy" => LoadFormat.Dummy,
        _ => throw new ArgumentException($"load format '{name}' is not one of auto, safetensors, dummy", "load_format"),
    };
}
