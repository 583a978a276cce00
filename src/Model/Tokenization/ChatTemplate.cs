namespace Rex.Model.Tokenization;

/// <summary>
/// The ChatML template DBRX uses:
/// `&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;` per message, joined by "\n", then
/// "\n&lt;|im_start|&gt;assistant\n" when a reply is wanted. Roles and contents are encoded as ordinary
/// text between the special tokens, each run of text at once, as tokenizing the rendered string would.
/// </summary>
public sealed class ChatTemplate(DbrxTokenizer tokenizer)
{
    public int[] Encode(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        if (messages.Count == 0) throw new ArgumentException("at least one message is required", nameof(messages));
        var imStart = tokenizer.SpecialTokenId(DbrxTokenizer.ImStart);
        var imEnd = tokenizer.SpecialTokenId(DbrxTokenizer.ImEnd);
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
