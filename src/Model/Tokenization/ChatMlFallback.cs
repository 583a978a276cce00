namespace Rex.Model.Tokenization;

/// <summary>
/// The ChatML format DBRX's template produces, written by hand for a model that ships no chat template but has
/// ChatML's special tokens (the built-in model, DBRX checkpoints without tokenizer_config.json's chat_template):
/// `&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;` per message, joined by "\n", then
/// "\n&lt;|im_start|&gt;assistant\n" when a reply is wanted. Roles and contents are encoded as ordinary text between
/// the special tokens, each run of text at once, so a special token's string typed in a message stays text.
/// </summary>
public sealed class ChatMlFallback : IChatPrompt
{
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";

    readonly ITokenizer tokenizer;
    readonly int imStart;
    readonly int imEnd;

    ChatMlFallback(ITokenizer tokenizer, int imStart, int imEnd)
    {
        this.tokenizer = tokenizer;
        this.imStart = imStart;
        this.imEnd = imEnd;
    }

    /// <summary>The fallback for a tokenizer with ChatML's special tokens; null for one without them.</summary>
    public static ChatMlFallback? For(ITokenizer tokenizer) =>
        tokenizer.TokenId(ImStart) is { } start && tokenizer.TokenId(ImEnd) is { } end ? new ChatMlFallback(tokenizer, start, end) : null;

    public int[] Encode(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        if (messages.Count == 0) throw new ArgumentException("at least one message is required", nameof(messages));
        var ids = new List<int>();
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (string.IsNullOrWhiteSpace(message.Role))
                throw new ArgumentException($"messages[{i}].role must not be empty", nameof(messages));
            if (i > 0) ids.AddRange(tokenizer.Encode("\n"));
            ids.Add(imStart);
            ids.AddRange(tokenizer.Encode(message.Role + "\n" + message.Content));
            ids.Add(imEnd);
        }
        if (addGenerationPrompt)
        {
            ids.AddRange(tokenizer.Encode("\n"));
            ids.Add(imStart);
            ids.AddRange(tokenizer.Encode("assistant\n"));
        }
        return [.. ids];
    }
}
