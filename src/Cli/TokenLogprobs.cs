using System.Text;
using Rex.Model.Tokenization;
using Wire = Rex.Protos.Api;

namespace Rex.Cli;

/// <summary>
/// `rex generate --logprobs N`: each generated token's log-probability and the N most likely tokens at its position,
/// as --json prints them (`logprobs`, OpenAI's names) and as lines under the text.
/// </summary>
internal static class TokenLogprobs
{
    public sealed record Alternative(int TokenId, string Token, float Logprob);

    public sealed record Entry(int TokenId, string Token, float Logprob, Alternative[] TopLogprobs);

    /// <summary>As a server reports them.</summary>
    public static Entry[] FromWire(IEnumerable<Wire.TokenLogprob> logprobs) => logprobs
        .Select(l => new Entry(l.TokenId, l.Token, l.Logprob, [.. l.TopLogprobs.Select(t => new Alternative(t.TokenId, t.Token, t.Logprob))]))
        .ToArray();

    /// <summary>As the local engine reports them; a token's text is its bytes as UTF-8, as a server's are, empty without a tokenizer.</summary>
    public static Entry[] FromLocal(IEnumerable<Model.Sampling.TokenLogprob> logprobs, ITokenizer? tokenizer)
    {
        string Text(int id) => tokenizer is null ? "" : Encoding.UTF8.GetString(tokenizer.TokenBytes(id));
        return logprobs
            .Select(l => new Entry(l.TokenId, Text(l.TokenId), l.Logprob, [.. l.Top.Select(t => new Alternative(t.TokenId, Text(t.TokenId), t.Logprob))]))
            .ToArray();
    }

    /// <summary>
    /// One line per token: its text quoted as JSON (a space or a line break stays visible), its id and log-probability,
    /// then the alternatives in the same form, most likely first.
    /// </summary>
    public static void Print(IReadOnlyList<Entry> logprobs, TextWriter output)
    {
        output.WriteLine("logprobs: token [id] log-probability | most likely tokens at its position");
        foreach (var entry in logprobs)
        {
            var line = $"  {Describe(entry.Token, entry.TokenId, entry.Logprob)}";
            if (entry.TopLogprobs.Length > 0) line += " | " + string.Join("  ", entry.TopLogprobs.Select(t => Describe(t.Token, t.TokenId, t.Logprob)));
            output.WriteLine(line);
        }
    }

    static string Describe(string token, int id, float logprob) => FormattableString.Invariant($"{CliJson.Serialize(token)} [{id}] {logprob:F4}");
}
