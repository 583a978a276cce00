namespace Rex.Model.Jinja;

internal enum TokenKind
{
    /// <summary>Template text outside tags, after whitespace control.</summary>
    Data,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,

    /// <summary>A string literal; <see cref="Token.Text"/> holds its value with escapes resolved.</summary>
    String,
    Integer,
    Float,
    Operator,
    End,
}

/// <summary>One lexical token and where it starts in the (newline-normalized) source.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Offset)
{
    public bool Is(TokenKind kind, string text) => Kind == kind && Text == text;

    public bool IsName(string name) => Is(TokenKind.Name, name);

    public bool IsOperator(string op) => Is(TokenKind.Operator, op);

    /// <summary>How an error message names the token: the text itself, or what ends a tag.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.End => "end of template",
        TokenKind.BlockEnd => "end of statement block",
        TokenKind.VariableEnd => "end of print statement",
        TokenKind.Data => "template data",
        TokenKind.String => PythonText.Repr(Text),
        _ => $"'{Text}'",
    };
}
