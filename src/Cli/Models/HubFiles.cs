namespace Rex.Cli.Models;

/// <summary>
/// The files of a Hugging Face model repository that Rex reads (the README's "The rex command"): the config, the
/// safetensors weights and their index, the tokenizer and the chat template. The rest is left on the Hub: PyTorch
/// `.bin`/`.pt` and GGUF weights (copies of the same tensors, often as large), images, other tools' files and
/// subfolders (such as `original/`), since Rex reads only the repository's top level.
/// </summary>
internal static class HubFiles
{
    static readonly HashSet<string> Named =
    [
        "config.json", "generation_config.json", "model.safetensors.index.json",
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
    ];

    public static bool IsNeeded(string file) =>
        !file.Contains('/') && (Named.Contains(file) || file.EndsWith(".safetensors", StringComparison.Ordinal));
}
