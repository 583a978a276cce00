namespace Rex.Model.Jinja;

/// <summary>
/// Splits a template into text and the tokens of its tags, with the whitespace control of Hugging Face's environment
/// (jinja2's trim_blocks and lstrip_blocks): a block or comment tag drops the first newline after it and the spaces
/// before it on its own line; `-` beside a delimiter strips all whitespace on that side, `+` keeps it. As jinja2
/// does, newlines become "\n" and one trailing newline of the source is dropped.
/// </summary>
internal sealed partial class Lexer
{
    readonly string source;
    readonly SourceMap map;
    readonly List<Token> tokens = [];
    int pos;

    // jinja2's line_starting: the previous tag ended a line, so a tag at the start of this text begins a line too.
    bool lineStarting = true;

    Lexer(string source)
    {
        this.source = source;
        map = new SourceMap(source);
    }

    public static (IReadOnlyList<Token> Tokens, SourceMap Map) Tokenize(string template)
    {
        var lexer = new Lexer(Normalize(template));
        lexer.Run();
        return (lexer.tokens, lexer.map);
    }

    static string Normalize(string template)
    {
        var text = template.Replace("\r\n", "\n").Replace('\r', '\n');
        return text.EndsWith('\n') ? text[..^1] : text;
    }

    void Run()
    {
        while (pos < source.Length)
        {
            var open = NextTag(pos);
            if (open < 0)
            {
                AddData(source[pos..], pos);
                break;
            }
            var kind = source[open + 1];
            var sign = open + 2 < source.Length && source[open + 2] is '-' or '+' ? source[open + 2] : '\0';
            var afterOpen = open + 2 + (sign == '\0' ? 0 : 1);
            var rawBody = kind == '%' ? RawStart(afterOpen) : -1;
            AddData(StripBefore(source[pos..open], sign, isVariable: kind == '{'), pos);
            pos = afterOpen;
            if (rawBody >= 0) LexRaw(open, rawBody);
            else if (kind == '#') SkipComment(open);
            else LexTag(open, kind == '%');
        }
        tokens.Add(new Token(TokenKind.End, "", source.Length));
    }

    int NextTag(int from)
    {
        for (var i = source.IndexOf('{', from); i >= 0 && i + 1 < source.Length; i = source.IndexOf('{', i + 1))
            if (source[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    string StripBefore(string text, char sign, bool isVariable)
    {
        if (sign == '-') return PythonStrings.Strip(text, null, start: false);
        if (sign == '+' || isVariable) return text;
        // lstrip_blocks: only whitespace between the line's start and the tag goes.
        var lineStart = text.LastIndexOf('\n') + 1;
        var rest = text.AsSpan(lineStart);
        return (lineStart > 0 || lineStarting) && !rest.IsEmpty && IsBlank(rest) ? text[..lineStart] : text;
    }

    void AddData(string text, int offset)
    {
        if (text.Length > 0) tokens.Add(new Token(TokenKind.Data, text, offset));
    }

    /// <summary>
    /// The end of a tag at pos: "+%}" keeps what follows, "-%}" strips all whitespace after it, a bare "%}" (or "#}")
    /// drops one newline (trim_blocks). `close` is "%}", "#}" or "}}"; a variable's "}}" trims nothing.
    /// </summary>
    bool TryCloseTag(string close)
    {
        var trims = close != "}}";
        if (trims && string.CompareOrdinal(source, pos, "+" + close, 0, 3) == 0) pos += 3;
        else if (string.CompareOrdinal(source, pos, "-" + close, 0, 3) == 0)
        {
            pos += 3;
            while (pos < source.Length && PythonStrings.IsSpace(source[pos])) pos++;
        }
        else if (string.CompareOrdinal(source, pos, close, 0, 2) == 0)
        {
            pos += 2;
            if (trims && pos < source.Length && source[pos] == '\n') pos++;
        }
        else return false;
        lineStarting = source[pos - 1] == '\n';
        return true;
    }

    void SkipComment(int open)
    {
        for (var end = source.IndexOf("#}", pos, StringComparison.Ordinal); end >= 0; end = source.IndexOf("#}", end + 1, StringComparison.Ordinal))
        {
            // The comment's last character may be the `-` or `+` of its closing delimiter.
            pos = end > pos && source[end - 1] is '-' or '+' ? end - 1 : end;
            if (TryCloseTag("#}")) return;
        }
        throw map.Error(open, "missing end of comment tag");
    }

    /// <summary>`{% raw %}` at the tag opened before `from`: the offset of the raw text, or -1 when the tag is not raw.</summary>
    int RawStart(int from)
    {
        var i = SkipSpace(from);
        if (string.CompareOrdinal(source, i, "raw", 0, 3) != 0) return -1;
        i = SkipSpace(i + 3);
        if (string.CompareOrdinal(source, i, "-%}", 0, 3) == 0) return SkipSpace(i + 3);
        return string.CompareOrdinal(source, i, "%}", 0, 2) == 0 ? i + 2 : -1;
    }

    void LexRaw(int open, int body)
    {
        lineStarting = source[body - 1] == '\n';
        for (var tag = NextTag(body); tag >= 0; tag = NextTag(tag + 1))
        {
            if (source[tag + 1] != '%') continue;
            var sign = tag + 2 < source.Length && source[tag + 2] is '-' or '+' ? source[tag + 2] : '\0';
            var i = SkipSpace(tag + 2 + (sign == '\0' ? 0 : 1));
            if (string.CompareOrdinal(source, i, "endraw", 0, 6) != 0) continue;
            pos = SkipSpace(i + 6);
            var text = StripBefore(source[body..tag], sign, isVariable: false);
            if (!TryCloseTag("%}")) continue;
            AddData(text, body);
            return;
        }
        throw map.Error(open, "missing end of raw directive");
    }

    static bool IsBlank(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (!PythonStrings.IsSpace(c)) return false;
        return true;
    }

    int SkipSpace(int i)
    {
        while (i < source.Length && PythonStrings.IsSpace(source[i])) i++;
        return i;
    }
}
