namespace Rex.EndToEnd.Tests.Fuzz;

/// <summary>
/// Sends cases in batches of bounded parallelism, each within a time limit (a case past it is a hang), checks the
/// gateway after every batch, and stops sending when a target's time budget is spent.
/// </summary>
public sealed class FuzzRunner(FuzzReport report, Func<Task<string?>> checkGateway)
{
    /// <summary>Longer than any case the fuzzers build needs on a loaded 2-core machine; past it the server hangs.</summary>
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(20);

    /// <param name="until">The end of this target's time budget (UTC): no batch starts after it.</param>
    public async Task Run(IReadOnlyList<FuzzCase> cases, DateTime until, int parallelism, int batchSize)
    {
        for (var start = 0; start < cases.Count; start += batchSize)
        {
            if (DateTime.UtcNow > until)
            {
                report.Skip(cases.Count - start);
                return;
            }
            var batch = cases.Skip(start).Take(batchSize).ToArray();
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = parallelism },
                async (fuzzCase, _) => report.Record(fuzzCase, await Send(fuzzCase)));
            if (await checkGateway() is { } broken) report.Fail($"{batch[0].Target} after cases {start}..{start + batch.Length - 1}", broken);
        }
    }

    static async Task<FuzzOutcome> Send(FuzzCase fuzzCase)
    {
        using var timeout = new CancellationTokenSource(CaseTimeout);
        try
        {
            // WaitAsync too: a case whose call ignores its token still ends. A call cut off by the token may come
            // back as an allowed status (CANCELLED): it is a hang all the same.
            var outcome = await fuzzCase.Send(timeout.Token).WaitAsync(CaseTimeout + TimeSpan.FromSeconds(5));
            return timeout.IsCancellationRequested ? FuzzOutcome.Broken("no answer", $"no answer within {CaseTimeout.TotalSeconds:F0} s") : outcome;
        }
        catch (Exception e) when (timeout.IsCancellationRequested || e is TimeoutException)
        {
            return FuzzOutcome.Broken("no answer", $"no answer within {CaseTimeout.TotalSeconds:F0} s");
        }
        catch (Exception e)
        {
            return FuzzOutcome.Broken(e.GetType().Name, e.Message);
        }
    }
}
