using Rex.Protos.Api;

namespace Rex.Cli;

/// <summary>Prints a streamed generation as it arrives: each message's text, flushed at once so a reader sees it.</summary>
internal static class StreamedText
{
    /// <summary>Writes every delta's text and a final newline; returns the whole text. Collects the deltas' logprobs into `logprobs` when given.</summary>
    public static async Task<string> Print(IAsyncEnumerable<GenerateStreamResponse> deltas, TextWriter output, List<TokenLogprob>? logprobs = null)
    {
        var text = new System.Text.StringBuilder();
        await foreach (var delta in deltas)
        {
            logprobs?.AddRange(delta.Logprobs);
            if (delta.Text.Length == 0) continue;
            text.Append(delta.Text);
            output.Write(delta.Text);
            output.Flush();
        }
        output.WriteLine();
        output.Flush();
        return text.ToString();
    }
}
