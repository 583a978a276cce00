namespace Rex.Model.Jinja;

/// <summary>The tokens inside `{{ }}` and `{% %}`: names, literals and operators, as jinja2's lexer splits them.</summary>
internal sealed partial class Lexer
{
    // Longest first, so that "//" is not read as two "/".
    static readonly string[] Operators =
        ["//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"];

    void LexTag(int open, bool isBlock)
    {
        tokens.Add(new Token(isBlock ? TokenKind.BlockBegin : TokenKind.VariableBegin, source[open..pos], open));
        var close = isBlock ? "%}" : "}}";
        // A "}}" inside an open brace closes the dict, not the tag.
        var brackets = new Stack<char>();
        while (true)
        {
            if (pos >= source.Length) throw map.Error(open, $"unexpected end of template: the tag is not closed with '{close}'");
            var start = pos;
            if (brackets.Count == 0 && TryCloseTag(close))
            {
                tokens.Add(new Token(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, "", start));
                return;
            }
            var c = source[pos];
            if (PythonStrings.IsSpace(c)) pos++;
            else if (char.IsAsciiDigit(c)) tokens.Add(Number());
            else if (char.IsLetter(c) || c == '_') tokens.Add(Name());
            else if (c is '\'' or '"') tokens.Add(String());
            else tokens.Add(Operator(brackets));
        }
    }

    Token Name()
    {
        var start = pos;
        while (pos < source.Length && (char.IsLetterOrDigit(source[pos]) || source[pos] == '_')) pos++;
        return new Token(TokenKind.Name, source[start..pos], start);
    }

    Token String()
    {
        var start = pos;
        var quote = source[pos++];
        while (pos < source.Length && source[pos] != quote) pos += source[pos] == '\\' ? 2 : 1;
        if (pos >= source.Length) throw map.Error(start, "unterminated string literal");
        var body = source[(start + 1)..pos++];
        return new Token(TokenKind.String, StringLiteral.Decode(body, reason => map.Error(start, reason)), start);
    }

    Token Operator(Stack<char> brackets)
    {
        var start = pos;
        var op = Operators.FirstOrDefault(o => string.CompareOrdinal(source, pos, o, 0, o.Length) == 0)
            ?? throw map.Error(pos, $"unexpected char {PythonText.Repr(source[pos].ToString())}");
        pos += op.Length;
        switch (op)
        {
            case "(": brackets.Push(')'); break;
            case "[": brackets.Push(']'); break;
            case "{": brackets.Push('}'); break;
            case ")" or "]" or "}":
                if (brackets.Count == 0) throw map.Error(start, $"unexpected '{op}'");
                var expected = brackets.Pop();
                if (expected != op[0]) throw map.Error(start, $"unexpected '{op}', expected '{expected}'");
                break;
        }
        return new Token(TokenKind.Operator, op, start);
    }

    /// <summary>
    /// An integer (42, 1_000, 0x1f, 0o17, 0b101) or a float (1.5, 1e3, 2.5e-3). As in jinja2, a float needs digits on
    /// both sides of its point, and a number right after a '.' is an integer (foo.0.1 indexes twice).
    /// </summary>
    Token Number()
    {
        var start = pos;
        if (source[pos] == '0' && pos + 1 < source.Length && char.ToLowerInvariant(source[pos + 1]) is 'x' or 'o' or 'b')
        {
            pos += 2;
            while (pos < source.Length && (char.IsAsciiHexDigit(source[pos]) || source[pos] == '_')) pos++;
            return new Token(TokenKind.Integer, source[start..pos], start);
        }
        pos = Digits(pos);
        var isFloat = false;
        if (start == 0 || source[start - 1] != '.')
        {
            if (pos + 1 < source.Length && source[pos] == '.' && char.IsAsciiDigit(source[pos + 1]))
            {
                pos = Digits(pos + 1);
                isFloat = true;
            }
            var exponent = pos + 1 < source.Length && source[pos] is 'e' or 'E' ? pos + 1 : -1;
            if (exponent > 0 && exponent < source.Length && source[exponent] is '+' or '-') exponent++;
            if (exponent > 0 && exponent < source.Length && char.IsAsciiDigit(source[exponent]))
            {
                pos = Digits(exponent);
                isFloat = true;
            }
        }
        return new Token(isFloat ? TokenKind.Float : TokenKind.Integer, source[start..pos], start);
    }

    // Digits with single underscores between them, from a digit at i.
    int Digits(int i)
    {
        while (i < source.Length && (char.IsAsciiDigit(source[i])
            || source[i] == '_' && i + 1 < source.Length && char.IsAsciiDigit(source[i + 1]))) i++;
        return i;
    }
}
