using System.Globalization;
using System.Text;

namespace Rex.Model.Jinja;

/// <summary>
/// The escapes of a string literal, as jinja2 resolves them (Python's unicode-escape): \n \t \\ \' \" \xhh \uhhhh
/// \Uhhhhhhhh, octal, \a \b \f \v \r, a backslash-newline continues the line; any other backslash stays as written.
/// </summary>
internal static class StringLiteral
{
    /// <summary>The value of the literal's body (between its quotes), or an error naming the bad escape.</summary>
    public static string Decode(string body, Func<string, Exception> error)
    {
        if (!body.Contains('\\')) return body;
        var text = new StringBuilder(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] != '\\' || i + 1 == body.Length)
            {
                text.Append(body[i]);
                continue;
            }
            var escape = body[++i];
            switch (escape)
            {
                case '\n': break;
                case '\\' or '\'' or '"': text.Append(escape); break;
                case 'a': text.Append('\a'); break;
                case 'b': text.Append('\b'); break;
                case 'f': text.Append('\f'); break;
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 't': text.Append('\t'); break;
                case 'v': text.Append('\v'); break;
                case 'x': AppendCode(text, Hex(body, ref i, 2, error)); break;
                case 'u': AppendCode(text, Hex(body, ref i, 4, error)); break;
                case 'U': AppendCode(text, Hex(body, ref i, 8, error)); break;
                case >= '0' and <= '7': AppendCode(text, Octal(body, ref i)); break;
                case 'N': throw error("named unicode escapes (\\N{...}) are not supported");
                default: text.Append('\\').Append(escape); break;
            }
        }
        return text.ToString();
    }

    // Python strings may hold lone surrogates (\ud800); ConvertFromUtf32 refuses them, a char does not.
    static void AppendCode(StringBuilder text, int code)
    {
        if (code < 0x10000) text.Append((char)code);
        else text.Append(char.ConvertFromUtf32(code));
    }

    static int Hex(string body, ref int i, int width, Func<string, Exception> error)
    {
        var kind = body[i];
        var digits = body.Length - i - 1 >= width ? body.AsSpan(i + 1, width) : [];
        if (digits.Length != width
            || !uint.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
            throw error($"truncated \\{kind} escape: expected {width} hex digits");
        if (code > 0x10FFFF) throw error($"\\{kind} escape out of range");
        i += width;
        return (int)code;
    }

    // Up to three octal digits, the first already at i.
    static int Octal(string body, ref int i)
    {
        var code = body[i] - '0';
        for (var n = 1; n < 3 && i + 1 < body.Length && body[i + 1] is >= '0' and <= '7'; n++) code = code * 8 + body[++i] - '0';
        return code;
    }
}
