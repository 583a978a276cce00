using System.Diagnostics;

namespace Rex.Cli.Bench;

/// <summary>
/// A bench's progress as one line on stderr, redrawn in place with '\r' so that stdout (where --json goes) stays
/// clean and no trail of lines is left: requests done of all, and the output token rate so far. Thread-safe; redrawn
/// at most every 100 ms, since tokens arrive from every concurrent stream.
/// </summary>
internal sealed class ProgressBar(TextWriter writer, int numRequests)
{
    const int Width = 30;
    static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    readonly Lock gate = new();
    readonly Stopwatch clock = Stopwatch.StartNew();
    TimeSpan drawnAt = -RedrawInterval;
    int lineLength;
    int numDone;
    long numTokens;

    /// <summary>Counts tokens that arrived and requests that completed; redraws if the last drawing is old enough.</summary>
    public void Add(int tokens = 0, int requests = 0)
    {
        lock (gate)
        {
            numTokens += tokens;
            numDone += requests;
            if (clock.Elapsed - drawnAt >= RedrawInterval) Draw();
        }
    }

    /// <summary>Draws the final state and ends the line, so what follows starts on a line of its own.</summary>
    public void Finish()
    {
        lock (gate)
        {
            Draw();
            writer.WriteLine();
            writer.Flush();
        }
    }

    void Draw()
    {
        drawnAt = clock.Elapsed;
        var filled = Width * numDone / numRequests;
        var line = $"[{new string('#', filled)}{new string('.', Width - filled)}] {numDone}/{numRequests} requests, " +
            $"{numTokens / Math.Max(drawnAt.TotalSeconds, 1e-9):F0} output tokens/s";
        // Spaces cover the end of a longer line drawn before.
        writer.Write("\r" + line.PadRight(lineLength));
        writer.Flush();
        lineLength = line.Length;
    }
}
