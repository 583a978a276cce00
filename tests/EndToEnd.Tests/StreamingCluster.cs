using Grpc.Core;
using Rex.Client;
using Rex.Tests;
using Xunit.Abstractions;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// A 4-process cluster from `rex cluster up` (gateway + 3 expert silos) running 16 greedy streams, for tests that
/// disturb a cluster mid-stream (kill a silo, drain one). Each stream's outcome is its tokens, or null when it
/// ended with UNAVAILABLE; any other status fails the test, and none may outlast 120 s. Disposing brings the
/// cluster down; when the test failed, the processes' logs go to its output first.
/// </summary>
internal sealed class StreamingCluster : IAsyncDisposable
{
    public const int MaxTokens = 40;

    readonly TemporaryDirectory state = new();
    readonly TemporaryDirectory home = new();
    readonly ITestOutputHelper output;
    int received;

    StreamingCluster(ITestOutputHelper output, int seed)
    {
        this.output = output;
        Prompts = ServingOracle.Prompts(16, seed);
        Alone = ServingOracle.AloneGreedy(Prompts, MaxTokens);
        Environment = new Dictionary<string, string> { ["REX_HOME"] = home.Path };
    }

    public int[][] Prompts { get; }

    /// <summary>Each prompt's greedy tokens from the local single-process engine: the oracle.</summary>
    public int[][] Alone { get; }

    public Dictionary<string, string> Environment { get; }

    public string State => state.Path;

    public RexClient Client { get; private set; } = null!;

    public Task<(int[]? Tokens, StatusCode Status)>[] Streams { get; private set; } = [];

    /// <summary>Starts the cluster and the streams, and returns once every stream has received 4 tokens.</summary>
    public static async Task<StreamingCluster> Start(ITestOutputHelper output, int replicas, int seed)
    {
        var cluster = new StreamingCluster(output, seed);
        try
        {
            var up = await ChildProcess.Run("rex.dll",
            [
                "cluster", "up", "--silos", "3", "--expert-replicas", replicas.ToString(), "--model", TestPaths.DbrxTiny,
                "--port", "0", "--http-port", "0", "--state", cluster.State,
            ], cluster.Environment);
            Assert.True(up.ExitCode == 0, up.Error);
            cluster.Client = new RexClient(new RexClientOptions { Address = up.Output.Trim().Split('\n')[^1], MaxRetries = 0 });
            cluster.Streams = [.. cluster.Prompts.Select(cluster.Outcome)];
            while (Volatile.Read(ref cluster.received) < 4 * cluster.Prompts.Length) await Task.Delay(10);
            return cluster;
        }
        catch
        {
            // The caller never gets it to dispose: bring down what started and remove the directories here.
            await cluster.DisposeAsync();
            throw;
        }
    }

    async Task<(int[]? Tokens, StatusCode Status)> Outcome(int[] prompt)
    {
        var tokens = new List<int>();
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await foreach (var delta in Client.GenerateStreamAsync(ServingTests.Greedy(prompt, MaxTokens), bound.Token))
            {
                tokens.AddRange(delta.TokenIds);
                Interlocked.Add(ref received, delta.TokenIds.Count);
            }
            return ([.. tokens], StatusCode.OK);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            return (null, e.StatusCode);
        }
    }

    /// <summary>Writes the tail of every process's log to the test output: why a recovery failed.</summary>
    public void WriteLogs()
    {
        foreach (var log in Directory.GetFiles(State, "*.log"))
            output.WriteLine($"--- {Path.GetFileName(log)}\n{string.Join('\n', File.ReadLines(log).TakeLast(80))}");
    }

    public async ValueTask DisposeAsync()
    {
        await ChildProcess.Run("rex.dll", ["cluster", "down", "--state", State], Environment);
        Client?.Dispose();
        state.Dispose();
        home.Dispose();
    }
}
