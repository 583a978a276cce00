using System.Text.Json.Nodes;
using Rex.Model.Config;
using Rex.Model.Tokenization;

namespace Rex.Model.Models;

/// <summary>
/// A model family: how its Hugging Face config.json and tensor names map onto Rex's shared
/// <see cref="ModelConfig"/>. One file per family (as vLLM's models/), nothing else knows which family runs.
/// </summary>
internal interface IModelFamily
{
    /// <summary>config.json's `model_type`.</summary>
    string ModelType { get; }

    /// <summary>config.json's `architectures` entry for a causal LM of this family.</summary>
    string Architecture { get; }

    /// <summary>The ids that end a generation when neither config.json nor generation_config.json names them.</summary>
    IReadOnlyList<int> DefaultEosTokenIds => [];

    /// <summary>The tokenizer of a model directory that holds none of its own (no tokenizer.json); null: token ids only.</summary>
    ITokenizer? DefaultTokenizer => null;

    /// <summary>The description of a model from its config.json (absent fields take transformers' defaults), not yet validated.</summary>
    ModelConfig Read(JsonFields config);

    /// <summary>config.json of a tiny model of this family, with its field names (`rex model init-tiny --family`).</summary>
    JsonObject TinyConfig();
}
