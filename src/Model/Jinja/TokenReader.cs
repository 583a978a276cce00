namespace Rex.Model.Jinja;

/// <summary>The parser's cursor over the tokens, and its errors with line and column.</summary>
internal sealed class TokenReader(IReadOnlyList<Token> tokens, SourceMap map)
{
    int index;

    public Token Current => tokens[index];

    public Token Peek => tokens[Math.Min(index + 1, tokens.Count - 1)];

    public Token Next()
    {
        var token = tokens[index];
        if (index < tokens.Count - 1) index++;
        return token;
    }

    public bool SkipName(string name) => Skip(Current.IsName(name));

    public bool SkipOperator(string op) => Skip(Current.IsOperator(op));

    public Token Expect(TokenKind kind, string? text = null)
    {
        var token = Current;
        if (token.Kind != kind || text is not null && token.Text != text)
            throw Error(token, $"expected {Describe(kind, text)}, got {token.Describe()}");
        return Next();
    }

    public string ExpectName() => Expect(TokenKind.Name).Text;

    public JinjaParseException Error(Token at, string reason) => map.Error(at.Offset, reason);

    public (int Line, int Column) Locate(Token token) => map.Locate(token.Offset);

    bool Skip(bool matches)
    {
        if (matches) Next();
        return matches;
    }

    static string Describe(TokenKind kind, string? text) => (kind, text) switch
    {
        (_, not null) => $"'{text}'",
        (TokenKind.BlockEnd, _) => "end of statement block",
        (TokenKind.VariableEnd, _) => "end of print statement",
        (TokenKind.Name, _) => "a name",
        _ => kind.ToString(),
    };
}
