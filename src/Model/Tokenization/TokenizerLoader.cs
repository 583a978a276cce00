using Rex.Model.Config;

namespace Rex.Model.Tokenization;

/// <summary>Picks the tokenizer of a model directory.</summary>
public static class TokenizerLoader
{
    /// <summary>
    /// A tokenizer.json: <see cref="HfTokenizer"/>. Else a tokenizer_config.json that names a tiktoken encoding
    /// (`encoding_name`, as DBRX's does): <see cref="DbrxTokenizer"/>, which refuses encodings other than cl100k_base.
    /// Else `fallback`: DBRX passes its default; a model without a tokenizer passes null and takes token ids only.
    /// </summary>
    public static ITokenizer? Load(string modelDirectory, ITokenizer? fallback)
    {
        var tokenizerJson = Path.Combine(modelDirectory, HfTokenizer.FileName);
        if (File.Exists(tokenizerJson)) return HfTokenizer.Load(tokenizerJson);
        var config = Path.Combine(modelDirectory, DbrxTokenizer.ConfigFileName);
        if (File.Exists(config) && NamesEncoding(config)) return DbrxTokenizer.Load(modelDirectory);
        return fallback;
    }

    static bool NamesEncoding(string configPath)
    {
        using var document = JsonFields.Parse(configPath);
        return new JsonFields(document.RootElement, configPath, "").String("encoding_name") is not null;
    }
}
