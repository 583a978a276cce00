using System.Diagnostics;

namespace Rex.Cli.Bench;

/// <summary>
/// A bench's progress on stderr, so that stdout (where --json goes) stays clean: requests done of all, and the output
/// token rate so far. On a terminal it is one line redrawn in place with '\r', at most every 100 ms (tokens arrive
/// from every concurrent stream), leaving no trail of lines. Into a file or a pipe (a CI log), where '\r' does not
/// go back, it is one line per tenth of the requests done. Thread-safe.
/// </summary>
internal sealed class ProgressBar(TextWriter writer, int numRequests, bool redrawInPlace)
{
    const int Width = 30;
    const int NumLoggedSteps = 10;
    static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    readonly Lock gate = new();
    readonly Stopwatch clock = Stopwatch.StartNew();
    TimeSpan drawnAt = -RedrawInterval;
    int lineLength;
    int numDone;
    int numDoneDrawn;
    long numTokens;

    /// <summary>Redrawn in place when `writer` is the process's stderr and that is a terminal; logged by tenths otherwise.</summary>
    public static ProgressBar For(TextWriter writer, int numRequests) =>
        new(writer, numRequests, redrawInPlace: ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected);

    /// <summary>Counts tokens that arrived and requests that completed; draws if the last drawing is old enough (in place) or a tenth more is done.</summary>
    public void Add(int tokens = 0, int requests = 0)
    {
        lock (gate)
        {
            numTokens += tokens;
            numDone += requests;
            if (redrawInPlace ? clock.Elapsed - drawnAt >= RedrawInterval : Step(numDone) > Step(numDoneDrawn)) Draw();
        }
    }

    /// <summary>Draws the final state (unless a logged line shows it already) and ends the line, so what follows starts on a line of its own.</summary>
    public void Finish()
    {
        lock (gate)
        {
            if (redrawInPlace || numDone != numDoneDrawn) Draw();
            if (redrawInPlace) writer.WriteLine();
            writer.Flush();
        }
    }

    int Step(int done) => NumLoggedSteps * done / numRequests;

    void Draw()
    {
        drawnAt = clock.Elapsed;
        numDoneDrawn = numDone;
        var filled = Width * numDone / numRequests;
        var line = $"[{new string('#', filled)}{new string('.', Width - filled)}] {numDone}/{numRequests} requests, " +
            $"{numTokens / Math.Max(drawnAt.TotalSeconds, 1e-9):F0} output tokens/s";
        if (redrawInPlace)
        {
            // Spaces cover the end of a longer line drawn before.
            writer.Write("\r" + line.PadRight(lineLength));
            lineLength = line.Length;
        }
        else writer.WriteLine(line);
        writer.Flush();
    }
}
