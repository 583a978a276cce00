namespace Rex.Model.Jinja;

/// <summary>
/// Builds a template's syntax tree from its tokens, statement by statement, as jinja2's parser does. Names of
/// filters and tests are checked here, so a template with an unknown one fails to parse, as in jinja2.
/// </summary>
internal sealed partial class Parser(TokenReader reader)
{
    // How many `for` bodies enclose the current statement (a macro body starts afresh): break/continue need one.
    int loopDepth;

    public static (IReadOnlyList<Statement> Body, SourceMap Map) Parse(string source)
    {
        var (tokens, map) = Lexer.Tokenize(source);
        return (new Parser(new TokenReader(tokens, map)).Body(null), map);
    }

    /// <summary>
    /// Statements up to the block tag whose name is one of `ends` (the reader is left on that name) or, at the top
    /// (opener null), up to the end of the template.
    /// </summary>
    List<Statement> Body(Token? opener, params string[] ends)
    {
        var body = new List<Statement>();
        while (true)
        {
            var token = reader.Current;
            switch (token.Kind)
            {
                case TokenKind.Data:
                    body.Add(new Text(reader.Next().Text, token.Offset));
                    break;
                case TokenKind.VariableBegin:
                    reader.Next();
                    body.Add(new Print(Tuple(), token.Offset));
                    reader.Expect(TokenKind.VariableEnd);
                    break;
                case TokenKind.BlockBegin when reader.Peek.Kind == TokenKind.Name && ends.Contains(reader.Peek.Text):
                    reader.Next();
                    return body;
                case TokenKind.BlockBegin:
                    reader.Next();
                    body.Add(Statement(token.Offset));
                    break;
                case TokenKind.End when opener is { } open:
                    var (line, _) = reader.Locate(open);
                    throw reader.Error(token,
                        $"unexpected end of template: the '{open.Text}' at line {line} is not closed (expected {Names(ends)})");
                case TokenKind.End:
                    return body;
                default:
                    throw reader.Error(token, $"unexpected {token.Describe()}");
            }
        }
    }

    Statement Statement(int offset)
    {
        var keyword = reader.Current;
        if (keyword.Kind != TokenKind.Name) throw reader.Error(keyword, $"expected a tag name, got {keyword.Describe()}");
        reader.Next();
        return keyword.Text switch
        {
            "for" => For(keyword, offset),
            "if" => If(keyword, offset),
            "set" => Set(keyword, offset),
            "macro" => Macro(keyword, offset),
            "call" => CallBlock(keyword, offset),
            "filter" => FilterBlock(keyword, offset),
            "with" => With(keyword, offset),
            "generation" => new Group(Closed(keyword, "endgeneration"), offset),
            "print" => Ended(new Print(Tuple(), offset)),
            "break" or "continue" => LoopControl(keyword, offset),
            "include" or "import" or "from" or "extends" or "block" =>
                throw reader.Error(keyword, $"'{keyword.Text}' is not supported: a chat template is rendered alone, without a loader"),
            "elif" or "else" or "endif" or "endfor" or "endset" or "endmacro" or "endcall" or "endfilter" or "endwith" =>
                throw reader.Error(keyword, $"unexpected '{keyword.Text}': no open block ends or continues here"),
            _ => throw reader.Error(keyword, $"unknown tag '{keyword.Text}'"),
        };
    }

    Statement For(Token keyword, int offset)
    {
        var target = Targets();
        reader.Expect(TokenKind.Name, "in");
        var items = Tuple(withCondition: false, extraEnds: ["recursive"]);
        var condition = reader.SkipName("if") ? Expression() : null;
        if (reader.Current.IsName("recursive")) throw reader.Error(reader.Current, "recursive loops are not supported");
        reader.Expect(TokenKind.BlockEnd);
        loopDepth++;
        var body = Body(keyword, "endfor", "else");
        loopDepth--;
        var otherwise = reader.Next().Text == "else" ? Closed(keyword, "endfor") : NoBody();
        return new For(target, items, condition, body, otherwise, offset);
    }

    Statement If(Token keyword, int offset)
    {
        var branches = new List<IfBranch>();
        while (true)
        {
            var test = Tuple(withCondition: false);
            reader.Expect(TokenKind.BlockEnd);
            branches.Add(new IfBranch(test, Body(keyword, "elif", "else", "endif")));
            switch (reader.Next().Text)
            {
                case "elif": continue;
                case "else": return new If(branches, Closed(keyword, "endif"), offset);
                default: return new If(branches, NoBody(), offset);
            }
        }
    }

    Statement Set(Token keyword, int offset)
    {
        var target = reader.Peek.IsOperator(".") ? NamespaceTarget() : Targets();
        if (reader.SkipOperator("=")) return Ended(new Set(target, Tuple(), offset));
        var filters = reader.Current.IsOperator("|") ? (Filter)FilterChain(null, inline: false) : null;
        return new SetBlock(target, Closed(keyword, "endset"), filters, offset);
    }

    Statement Macro(Token keyword, int offset)
    {
        var name = reader.ExpectName();
        var parameters = Parameters();
        var enclosingLoops = loopDepth;
        loopDepth = 0;
        var body = Closed(keyword, "endmacro");
        loopDepth = enclosingLoops;
        return new Macro(name, parameters, body, offset);
    }

    Statement CallBlock(Token keyword, int offset)
    {
        var callerParameters = reader.Current.IsOperator("(") ? Parameters() : [];
        var start = reader.Current;
        if (Expression() is not Call call) throw reader.Error(start, "expected a macro call after 'call'");
        return new CallBlock(call, callerParameters, Closed(keyword, "endcall"), offset);
    }

    Statement FilterBlock(Token keyword, int offset)
    {
        var filters = (Filter)FilterChain(null, inline: true);
        return new FilterBlock(filters, Closed(keyword, "endfilter"), offset);
    }

    Statement With(Token keyword, int offset)
    {
        var assignments = new List<KeyValuePair<AssignTarget, Expression>>();
        while (reader.Current.Kind != TokenKind.BlockEnd)
        {
            if (assignments.Count > 0) reader.Expect(TokenKind.Operator, ",");
            var target = Targets();
            reader.Expect(TokenKind.Operator, "=");
            assignments.Add(new(target, Expression()));
        }
        return new With(assignments, Closed(keyword, "endwith"), offset);
    }

    Statement LoopControl(Token keyword, int offset)
    {
        if (loopDepth == 0) throw reader.Error(keyword, $"'{keyword.Text}' outside of a loop");
        return Ended(keyword.Text == "break" ? new Break(offset) : new Continue(offset));
    }

    /// <summary>The rest of an opening tag, the body, and the closing tag `end` (`{% endfor %}`).</summary>
    List<Statement> Closed(Token keyword, string end)
    {
        reader.Expect(TokenKind.BlockEnd);
        var body = Body(keyword, end);
        reader.Next();
        reader.Expect(TokenKind.BlockEnd);
        return body;
    }

    /// <summary>The end of a closing tag that brings no body of its own (`{% endif %}` after the branches).</summary>
    List<Statement> NoBody()
    {
        reader.Expect(TokenKind.BlockEnd);
        return [];
    }

    Statement Ended(Statement statement)
    {
        reader.Expect(TokenKind.BlockEnd);
        return statement;
    }

    /// <summary>`(a, b=default, ...)` of a macro or a call block.</summary>
    List<Parameter> Parameters()
    {
        reader.Expect(TokenKind.Operator, "(");
        var parameters = new List<Parameter>();
        while (!reader.SkipOperator(")"))
        {
            if (parameters.Count > 0) reader.Expect(TokenKind.Operator, ",");
            if (reader.SkipOperator(")")) break;
            var name = reader.Current;
            var value = reader.ExpectName();
            var fallback = reader.SkipOperator("=") ? Expression() : null;
            if (fallback is null && parameters.Count > 0 && parameters[^1].Default is not null)
                throw reader.Error(name, $"parameter '{value}' without a default follows one with a default");
            parameters.Add(new Parameter(value, fallback));
        }
        return parameters;
    }

    /// <summary>What `for` and `set` assign: a name, or names separated by commas (tuples may nest in parentheses).</summary>
    AssignTarget Targets()
    {
        var items = new List<AssignTarget> { Target() };
        var isTuple = false;
        while (reader.SkipOperator(","))
        {
            isTuple = true;
            if (reader.Current.IsName("in") || reader.Current.IsOperator("=") || reader.Current.IsOperator(")")) break;
            items.Add(Target());
        }
        return isTuple ? new TupleTarget(items) : items[0];
    }

    AssignTarget Target()
    {
        if (!reader.SkipOperator("(")) return new NameTarget(reader.ExpectName());
        var inner = Targets();
        reader.Expect(TokenKind.Operator, ")");
        return inner;
    }

    AssignTarget NamespaceTarget()
    {
        var owner = reader.ExpectName();
        reader.Expect(TokenKind.Operator, ".");
        return new NamespaceTarget(owner, reader.ExpectName());
    }

    static string Names(string[] names) => string.Join(" or ", names.Select(n => $"'{n}'"));
}
