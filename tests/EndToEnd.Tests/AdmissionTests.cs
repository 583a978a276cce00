using System.Diagnostics;
using Grpc.Core;
using Rex.Protos.Api;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>The bounded admission queue: beyond MaxQueuedRequests a request is refused at once, and nothing else suffers.</summary>
public sealed class AdmissionTests
{
    [Fact]
    public async Task AFullQueueAnswersResourceExhaustedAtOnce()
    {
        await using var gateway = await GatewayProcess.Start([.. GatewayProcess.FixtureModel, "--Rex:MaxNumSeqs=1", "--Rex:MaxQueuedRequests=1"]);
        using var stop = new CancellationTokenSource();
        // One request runs (MaxNumSeqs 1), one waits (the queue's one place).
        var running = ServingTests.Stream(gateway.Client, ServingTests.Greedy([1, 2, 3], 1500));
        await WaitFor(gateway, c => c.NumRunning == 1);
        var waiting = gateway.Client.GenerateAsync(ServingTests.Greedy([4, 5, 6], 4));
        await WaitFor(gateway, c => c.NumWaiting == 1);

        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.GenerateAsync(ServingTests.Greedy([7, 8], 4)));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("MaxQueuedRequests (1)", refused.Status.Detail);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refusing took {clock.Elapsed}");
        Assert.False(waiting.IsCompleted);

        Assert.Equal(1500, (await running).Tokens.Length);
        Assert.Equal(4, (await waiting).TokenIds.Count);
        Assert.Equal(1, (await gateway.Client.GetClusterStatusAsync()).Scheduler.RejectedRequests);
    }

    static async Task WaitFor(GatewayProcess gateway, Func<SchedulerCounters, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition((await gateway.Client.GetClusterStatusAsync()).Scheduler))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("the scheduler never got there");
            await Task.Delay(20);
        }
    }
}
