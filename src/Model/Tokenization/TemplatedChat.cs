using System.Text;
using Rex.Model.Jinja;

namespace Rex.Model.Tokenization;

/// <summary>
/// A conversation through the model's own chat template: rendered by <see cref="JinjaChatTemplate"/>, then tokenized
/// with the template's special tokens matched and nothing added, as Hugging Face's apply_chat_template does; except
/// that a special token's string typed in a message stays text (Hugging Face would make it the token, which lets a
/// user forge the end of their turn): each occurrence is split by a noncharacter before rendering, and the rendered
/// text is tokenized a piece at a time between those marks, so no such occurrence can match whole.
/// </summary>
public sealed class TemplatedChat(JinjaChatTemplate template, ITokenizer tokenizer) : IChatPrompt
{
    // A Unicode noncharacter ("not for interchange"): it marks where a rendered prompt must not be tokenized across,
    // and is removed there. Typed by a user it is a mark too, and dropped.
    const char Break = '\uFDD0';

    // Special tokens by their first character, so that a message is scanned once whatever the number of specials.
    readonly Dictionary<char, string[]> specialsByFirst = tokenizer.SpecialTokens.Where(s => s.Length > 1)
        .GroupBy(s => s[0]).ToDictionary(g => g.Key, g => g.ToArray());

    /// <exception cref="ArgumentException">The template refused the conversation (its raise_exception, or a render error).</exception>
    public int[] Encode(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        string rendered;
        try
        {
            rendered = template.Render(messages.Select(m => new ChatMessage(Defuse(m.Role), Defuse(m.Content))).ToArray(), addGenerationPrompt);
        }
        catch (JinjaException e)
        {
            // No parameter name: the caller names its own field (messages), and .NET would append one to the message.
            throw new ArgumentException($"the model's chat template refused the conversation: {e.Message}", e);
        }
        if (rendered.IndexOf(Break) < 0) return tokenizer.EncodeChat(rendered);
        var ids = new List<int>();
        foreach (var piece in rendered.Split(Break)) ids.AddRange(tokenizer.EncodeChat(piece));
        return [.. ids];
    }

    // Text with a Break after the first character of every special token's string in it.
    string Defuse(string text)
    {
        StringBuilder? defused = null;
        var copied = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (!specialsByFirst.TryGetValue(text[i], out var candidates)) continue;
            foreach (var special in candidates)
            {
                if (string.CompareOrdinal(text, i, special, 0, special.Length) != 0) continue;
                defused ??= new StringBuilder(text.Length + 8);
                defused.Append(text, copied, i + 1 - copied).Append(Break);
                copied = i + 1;
                break;
            }
        }
        return defused is null ? text : defused.Append(text, copied, text.Length - copied).ToString();
    }
}
