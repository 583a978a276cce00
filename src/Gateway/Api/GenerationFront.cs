using System.Text;
using Microsoft.Extensions.Options;
using Rex.Gateway.Grains;
using Rex.Gateway.Hosting;
using Rex.Model.Sampling;
using Rex.Model.Tokenization;
using Rex.Protos.Grains;
using Rex.Silo.Experts;

namespace Rex.Gateway.Api;

/// <summary>
/// What every public API (gRPC and OpenAI HTTP) does before and after the engine: check the model name, turn
/// text, token ids or a conversation into prompt ids within the limits, fill in max_tokens, and call the gateway
/// grain. Errors are <see cref="ArgumentException"/>s naming the field (the APIs map them to their own shapes).
/// </summary>
public sealed class GenerationFront(LocalGateway gateway, ModelCatalog catalog, IOptions<GatewayOptions> gatewayOptions)
{
    readonly GatewayOptions options = gatewayOptions.Value;

    public string ModelName => catalog.Name;

    public int MaxModelLen => options.EffectiveMaxModelLen(catalog.Directory.Config.MaxPositionEmbeddings);

    public int VocabSize => catalog.Directory.Config.VocabSize;

    /// <summary>Ids to text, special tokens left out; a field of the request names what fails for a model without a tokenizer.</summary>
    public string Decode(IEnumerable<int> ids, string field) => Tokenizer(field).Decode(ids);

    /// <summary>
    /// A token's text in running text, special tokens included (what logprobs report): its bytes as UTF-8, so that a
    /// SentencePiece-style token keeps the space it starts with. Empty for a model without a tokenizer.
    /// </summary>
    public string TokenText(int id) => Encoding.UTF8.GetString(TokenBytes(id));

    /// <summary>The UTF-8 bytes a token stands for; empty for a model without a tokenizer.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => catalog.Directory.Tokenizer is { } tokenizer ? tokenizer.TokenBytes(id) : [];

    ITokenizer Tokenizer(string field) => catalog.Directory.Tokenizer
        ?? throw new ArgumentException($"{field}: model '{catalog.Name}' has no tokenizer (its directory holds no tokenizer.json): send token ids", field);

    /// <summary>An empty name means the only model served here.</summary>
    public void CheckModel(string? model, string field = "model")
    {
        if (string.IsNullOrEmpty(model) || model == catalog.Name) return;
        throw NotServed(model, field);
    }

    /// <summary>
    /// The error for a model this gateway does not serve (NOT_FOUND, HTTP 404). The message quotes at most 64
    /// characters of the name: a gRPC status travels in a trailer, and one holding a huge name breaks the client's
    /// header limit (.NET's 64 KiB), failing every call on its connection.
    /// </summary>
    public ArgumentException NotServed(string model, string field = "model")
    {
        // Cut before a surrogate pair, not through it: half a character cannot be written as JSON.
        var quoted = model.Length <= 64 ? $"'{model}'" : $"'{model[..(char.IsHighSurrogate(model[63]) ? 63 : 64)]}...' ({model.Length} characters)";
        return new ArgumentException($"{field}: {quoted} is not served here (this gateway serves '{catalog.Name}')", field);
    }

    /// <summary>Prompt text as ordinary text: user text never becomes special tokens.</summary>
    public int[] EncodeText(string text, string field)
    {
        CheckChars(text.Length, field);
        return Tokenizer(field).Encode(text);
    }

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages, string field)
    {
        if (messages.Count == 0) throw new ArgumentException($"{field} must hold at least one message", field);
        CheckChars(messages.Sum(m => (long)m.Role.Length + m.Content.Length), field);
        for (var i = 0; i < messages.Count; i++)
            if (string.IsNullOrWhiteSpace(messages[i].Role))
                throw new ArgumentException($"{field}[{i}].role must not be empty", field);
        var chat = catalog.Directory.Chat ?? throw new ArgumentException(
            $"{field}: model '{catalog.Name}' has no chat template (tokenizer_config.json's chat_template) and no ChatML tokens to fall back on", field);
        try
        {
            return chat.Encode(messages);
        }
        catch (ArgumentException e) when (e.ParamName is null)
        {
            throw new ArgumentException($"{field}: {e.Message}", field, e);
        }
    }

    public void CheckTokenIds(IReadOnlyCollection<int> ids, string field)
    {
        foreach (var id in ids)
            if (id < 0 || id >= VocabSize)
                throw new ArgumentException($"{field} holds token id {id}, outside the vocabulary [0, {VocabSize})", field);
    }

    /// <summary>
    /// The engine's input. Without an explicit max_tokens a request gets SamplingParams' default, shortened to
    /// what MaxModelLen leaves after the prompt (as vLLM does), so a long prompt is not refused for a limit it never set.
    /// </summary>
    /// <param name="operation">What the caller asked for, as traces and metrics name it: <see cref="GenAiOperations"/>.</param>
    public GenerationInput Input(int[] prompt, SamplingParams sampling, bool hasMaxTokens, string operation)
    {
        if (!hasMaxTokens && prompt.Length < MaxModelLen) sampling = sampling with { MaxTokens = Math.Min(sampling.MaxTokens, MaxModelLen - prompt.Length) };
        return GenerationInputs.From(prompt, sampling, operation);
    }

    public Task<GenerationOutcome> Generate(GenerationInput input, CancellationToken cancellation) =>
        gateway.Grain.Generate(input, cancellation);

    public IAsyncEnumerable<GenerationDelta> GenerateStream(GenerationInput input, CancellationToken cancellation) =>
        gateway.Grain.GenerateStream(input, cancellation);

    void CheckChars(long chars, string field)
    {
        if (chars > options.MaxPromptChars)
            throw new ArgumentException($"{field} has {chars} characters, more than MaxPromptChars ({options.MaxPromptChars})", field);
    }
}
