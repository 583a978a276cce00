using Rex.Tests;
using Xunit.Abstractions;

namespace Rex.EndToEnd.Tests.Fuzz;

/// <summary>
/// Hostile input (issue 7): a seeded, bounded fuzzer against a real gateway process on loopback, over gRPC (typed
/// and raw bytes) and the OpenAI HTTP API. Every answer must be a well-formed status, and after every batch the
/// gateway must still run and answer a well-formed request exactly as before. The report (cases per target, a
/// histogram of statuses, every violation) goes to the test output.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    const int Seed = 7;
    const int BatchSize = 40;
    const int Parallelism = 4;
    const int BurstSize = 48;

    /// <summary>Per target, so one slow target cannot starve the other: about 60 s of hostile input in all.</summary>
    static readonly TimeSpan BudgetPerTarget = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task HostileInputGetsWellFormedStatusesAndLeavesTheGatewayServing()
    {
        // Small limits keep every valid-looking case short (at most 256 tokens) and let a burst reach the queue's limit.
        await using var gateway = await GatewayProcess.Start([.. GatewayProcess.FixtureModel, "--Rex:MaxModelLen=256", "--Rex:MaxQueuedRequests=8"]);
        using var http = new HttpClient();
        var check = await GatewayCheck.Start(gateway, http);
        var report = new FuzzReport();
        var runner = new FuzzRunner(report, check.Check);
        using var grpc = new GrpcFuzzer(gateway.Address);
        using var rawGrpc = new RawGrpcFuzzer(gateway.Address);
        using var openAi = new HttpFuzzer(gateway.OpenAiBase);
        using var clients = new HttpConnectionFuzzer(gateway.OpenAiBase);

        var until = DateTime.UtcNow + BudgetPerTarget;
        await runner.Run([.. grpc.Cases(Seed), .. rawGrpc.Cases(Seed)], until, Parallelism, BatchSize);
        await runner.Run(grpc.Burst(BurstSize), until, BurstSize, BurstSize);
        until = DateTime.UtcNow + BudgetPerTarget;
        await runner.Run([.. openAi.Cases(Seed), .. clients.Cases()], until, Parallelism, BatchSize);
        await runner.Run(openAi.Burst(BurstSize), until, BurstSize, BurstSize);
        if (await check.Check() is { } broken) report.Fail("at the end", broken);

        output.WriteLine(report.ToString());
        Assert.True(report.Violations.Count == 0, report.ToString());
    }
}
