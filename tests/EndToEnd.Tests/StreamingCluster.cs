using System.Text.Json;
using Grpc.Core;
using Rex.Client;
using Rex.Tests;
using Xunit.Abstractions;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// A cluster from `rex cluster up` running 16 greedy streams, for tests that disturb a cluster mid-stream (kill a
/// silo, drain one, kill a gateway): by default a gateway and 3 expert silos, each stream on its own connection
/// without retries. With two gateways (membership in the cluster's own store, which outlives either) the streams reach
/// the gateways through a <see cref="ServiceProxy"/>, and the SDK retries. Each
/// stream's outcome is its tokens, or null when it ended with UNAVAILABLE; any other status fails the test, and
/// none may outlast 120 s. Disposing brings the cluster down; when the test failed, the processes' logs go to its
/// output first.
/// </summary>
internal sealed class StreamingCluster : IAsyncDisposable
{
    public const int MaxTokens = 40;

    readonly TemporaryDirectory state = new();
    readonly TemporaryDirectory home = new();
    readonly ITestOutputHelper output;
    ServiceProxy? service;
    int retries;
    string address = "";
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

    /// <summary>A client of the cluster's (first) gateway, or of the Service in front of two.</summary>
    public RexClient Client { get; private set; } = null!;

    /// <summary>The Service in front of the gateways, when there are two.</summary>
    public ServiceProxy? Service => service;

    public Task<(int[]? Tokens, StatusCode Status)>[] Streams { get; private set; } = [];

    /// <summary>Starts the cluster and the streams, and returns once every stream has received 4 tokens.</summary>
    public static async Task<StreamingCluster> Start(ITestOutputHelper output, int replicas, int seed, int silos = 3, int gateways = 1)
    {
        var cluster = new StreamingCluster(output, seed);
        try
        {
            var up = await ChildProcess.Run("rex.dll",
            [
                "cluster", "up", "--silos", silos.ToString(), "--gateways", gateways.ToString(), "--expert-replicas", replicas.ToString(),
                "--model", TestPaths.DbrxTiny, "--port", "0", "--http-port", "0", "--state", cluster.State,
            ], cluster.Environment);
            Assert.True(up.ExitCode == 0, up.Error);
            var addresses = up.Output.Trim().Split('\n')[^gateways..];
            if (gateways > 1)
            {
                cluster.service = ServiceProxy.Start(addresses);
                cluster.retries = 4;
            }
            cluster.address = cluster.service?.Address ?? addresses[0];
            cluster.Client = cluster.NewClient(cluster.address);
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

    RexClient NewClient(string address) =>
        new(new RexClientOptions { Address = address, MaxRetries = retries, InitialBackoff = TimeSpan.FromMilliseconds(200) });

    // Each stream on its own client, so its own connection: behind the Service, the streams spread over the gateways.
    async Task<(int[]? Tokens, StatusCode Status)> Outcome(int[] prompt)
    {
        var tokens = new List<int>();
        using var client = NewClient(address);
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await foreach (var delta in client.GenerateStreamAsync(ServingTests.Greedy(prompt, MaxTokens), bound.Token))
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

    /// <summary>The pid of the first process `rex cluster up` started with a role that matches.</summary>
    public int Pid(Func<string, bool> role) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(State, "cluster.json"))).RootElement.GetProperty("processes")
            .EnumerateArray().First(p => role(p.GetProperty("role").GetString()!)).GetProperty("pid").GetInt32();

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
        if (service is not null) await service.DisposeAsync();
        state.Dispose();
        home.Dispose();
    }
}
