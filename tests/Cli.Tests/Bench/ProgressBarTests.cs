using Rex.Cli.Bench;

namespace Rex.Cli.Tests.Bench;

public sealed class ProgressBarTests
{
    [Fact]
    public void RedrawsOneLineInPlaceAndEndsItWhenFinished()
    {
        var error = new StringWriter();
        var bar = new ProgressBar(error, numRequests: 4);
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
}
