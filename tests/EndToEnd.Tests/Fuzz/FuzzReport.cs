using System.Collections.Concurrent;
using System.Text;

namespace Rex.EndToEnd.Tests.Fuzz;

/// <summary>What a fuzzing run sent and saw: cases per target, a histogram of statuses, and every broken oracle.</summary>
public sealed class FuzzReport
{
    readonly ConcurrentDictionary<string, int> sent = new();
    readonly ConcurrentDictionary<(string Target, string Status), int> seen = new();
    readonly ConcurrentQueue<string> violations = new();
    int skipped;

    public IReadOnlyCollection<string> Violations => violations;

    public void Record(FuzzCase fuzzCase, FuzzOutcome outcome)
    {
        sent.AddOrUpdate(fuzzCase.Target, 1, (_, n) => n + 1);
        seen.AddOrUpdate((fuzzCase.Target, outcome.Status), 1, (_, n) => n + 1);
        if (outcome.Violation is { } violation) violations.Enqueue(Printable($"[{fuzzCase.Target}] {fuzzCase.Name}: {outcome.Status}: {violation}"));
    }

    /// <summary>A check outside any one case (the gateway after a batch) that failed.</summary>
    public void Fail(string where, string violation) => violations.Enqueue($"[{where}] {violation}");

    /// <summary>Cases left unsent because the run's time budget ran out.</summary>
    public void Skip(int count) => Interlocked.Add(ref skipped, count);

    // Hostile names hold control characters and lone surrogates, which test output and files cannot always carry.
    static string Printable(string text)
    {
        var printable = new StringBuilder(text.Length);
        foreach (var c in text.Length <= 1000 ? text : text[..1000] + "...")
            printable.Append(char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:X4}" : c.ToString());
        return printable.ToString();
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var (target, count) in sent.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.AppendLine($"{target}: {count} cases");
            foreach (var ((_, status), n) in seen.Where(p => p.Key.Target == target).OrderByDescending(p => p.Value).ThenBy(p => p.Key.Status, StringComparer.Ordinal))
                text.AppendLine($"  {n,5}  {status}");
        }
        if (skipped > 0) text.AppendLine($"{skipped} cases not sent: the time budget ran out");
        text.AppendLine(violations.IsEmpty ? "no oracle violations" : $"{violations.Count} oracle violations:");
        foreach (var violation in violations) text.AppendLine("  " + violation);
        return text.ToString();
    }
}
