using System.Text;

namespace Rex.Model.Tokenization;

/// <summary>
/// Turns a stream of token ids into text without ever emitting half a character: a token can end inside a
/// multi-byte UTF-8 sequence (emoji, CJK), so its bytes wait in the decoder until the character is whole. The text is
/// running text, a continuation of the prompt: a metaspace tokenizer's first token keeps its leading space, which
/// <see cref="ITokenizer.Decode"/> of a whole text drops, as vLLM's output text keeps it.
/// </summary>
public sealed class StreamingDetokenizer(ITokenizer tokenizer, bool skipSpecialTokens = true)
{
    readonly Decoder decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    char[] chars = new char[64];

    /// <summary>Adds one token and returns the text it completes (often empty while a character is still partial).</summary>
    public string Add(int id)
    {
        if (skipSpecialTokens && tokenizer.IsSpecial(id)) return "";
        return Decode(tokenizer.TokenBytes(id), flush: false);
    }

    /// <summary>Ends the stream: bytes of an unfinished character come out as U+FFFD.</summary>
    public string Flush() => Decode([], flush: true);

    string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        var needed = decoder.GetCharCount(bytes, flush);
        if (needed > chars.Length) chars = new char[Math.Max(needed, chars.Length * 2)];
        var written = decoder.GetChars(bytes, chars, flush);
        return new string(chars, 0, written);
    }
}
