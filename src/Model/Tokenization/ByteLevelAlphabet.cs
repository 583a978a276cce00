using System.Text;

namespace Rex.Model.Tokenization;

/// <summary>
/// GPT-2's byte-level alphabet (`bytes_to_unicode`), in which byte-level BPE vocabularies (Qwen, OLMoE, DeepSeek,
/// gpt-oss, DBRX's tokenizer.json) spell their tokens: a printable Latin-1 byte is its own character, each of the
/// other 68 bytes is a character from U+0100 on, in byte order (a space is 'Ġ', a newline 'Ċ').
/// </summary>
internal static class ByteLevelAlphabet
{
    static readonly char[] CharByByte = BuildChars();
    static readonly int[] ByteByChar = BuildBytes();

    public static string Spell(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = CharByByte[bytes[i]];
        return new string(chars);
    }

    /// <summary>
    /// The bytes a token stands for, as Hugging Face's ByteLevel decoder reads it: a token spelled wholly in the
    /// alphabet is those bytes; any other (an added token such as DeepSeek's `&lt;｜end▁of▁sentence｜&gt;`) is its own UTF-8.
    /// </summary>
    public static byte[] Bytes(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            var c = token[i];
            if (c >= ByteByChar.Length || ByteByChar[c] < 0) return Encoding.UTF8.GetBytes(token);
            bytes[i] = (byte)ByteByChar[c];
        }
        return bytes;
    }

    static char[] BuildChars()
    {
        var chars = new char[256];
        var shifted = 0;
        for (var b = 0; b < 256; b++)
            chars[b] = IsPrintable(b) ? (char)b : (char)(256 + shifted++);
        return chars;
    }

    static int[] BuildBytes()
    {
        var bytes = new int[256 + 68];
        Array.Fill(bytes, -1);
        for (var b = 0; b < 256; b++) bytes[CharByByte[b]] = b;
        return bytes;
    }

    static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ';
}
