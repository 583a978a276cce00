using Rex.Cli.Bench;

namespace Rex.Cli.Tests.Bench;

public sealed class ProgressBarTests
{
    [Fact]
    public void OnATerminalRedrawsOneLineInPlaceAndEndsItWhenFinished()
    {
        var error = new StringWriter();
        var bar = new ProgressBar(error, numRequests: 4, redrawInPlace: true);
        bar.Add(tokens: 3);
        bar.Add(requests: 1);
        bar.Add(requests: 1);
        bar.Finish();
        var text = error.ToString();
        Assert.StartsWith("\r[", text);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var last = text.TrimEnd('\n').Split('\r')[^1];
        Assert.StartsWith($"[{new string('#', 15)}{new string('.', 15)}] 2/4 requests, ", last);
        Assert.EndsWith("output tokens/s", last.TrimEnd());
    }

    [Fact]
    public void IntoAFileWritesOneLinePerTenthWithoutCarriageReturns()
    {
        var error = new StringWriter();
        var bar = new ProgressBar(error, numRequests: 40, redrawInPlace: false);
        for (var i = 0; i < 40; i++)
        {
            bar.Add(tokens: 5);
            bar.Add(requests: 1);
        }
        bar.Finish();
        var text = error.ToString();
        Assert.DoesNotContain('\r', text.ReplaceLineEndings("\n"));
        var lines = text.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(1, 10).Select(tenth => $"{4 * tenth}/40 requests, "), lines.Select(l => l[(l.IndexOf(']') + 2)..(l.IndexOf("requests, ") + 10)]));
        Assert.StartsWith($"[{new string('#', 30)}] 40/40 requests, ", lines[^1]);
    }

    [Fact]
    public void IntoAFileAnUnfinishedRunEndsWithItsLastState()
    {
        var error = new StringWriter();
        var bar = new ProgressBar(error, numRequests: 40, redrawInPlace: false);
        for (var i = 0; i < 5; i++) bar.Add(requests: 1);
        bar.Finish();
        var lines = error.ToString().ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("[###.", lines[0]);
        Assert.Contains("] 4/40 requests, ", lines[0]);
        Assert.Contains("] 5/40 requests, ", lines[1]);
    }
}
