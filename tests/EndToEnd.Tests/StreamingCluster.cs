using System.Diagnostics;
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
/// the gateways through a <see cref="ServiceProxy"/>, and the SDK retries. Each stream's outcome is its tokens, or null
/// and the error when it ended with UNAVAILABLE; any other status fails the test, and none may outlast 120 s. When each
/// delta arrived and each stream ended are kept, for tests of stalls. Disposing brings the cluster down; when the test failed, the processes' logs go to its
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

    StreamingCluster(ITestOutputHelper output, int seed, int maxTokens)
    {
        this.output = output;
        NumTokens = maxTokens;
        Prompts = ServingOracle.Prompts(16, seed);
        Alone = ServingOracle.AloneGreedy(Prompts, maxTokens);
        Environment = new Dictionary<string, string> { ["REX_HOME"] = home.Path };
        Arrivals = [.. Prompts.Select(_ => new List<long>())];
        Ends = new long[Prompts.Length];
    }

    /// <summary>Tokens each stream asks for.</summary>
    public int NumTokens { get; }

    /// <summary>Per stream, the <see cref="Stopwatch"/> timestamp of each delta's arrival.</summary>
    public List<long>[] Arrivals { get; }

    /// <summary>Per stream, the timestamp of its end (0 while it runs).</summary>
    public long[] Ends { get; }

    public int[][] Prompts { get; }

    /// <summary>Each prompt's greedy tokens from the local single-process engine: the oracle.</summary>
    public int[][] Alone { get; }

    public Dictionary<string, string> Environment { get; }

    public string State => state.Path;

    /// <summary>A client of the cluster's (first) gateway, or of the Service in front of two.</summary>
    public RexClient Client { get; private set; } = null!;

    /// <summary>The Service in front of the gateways, when there are two.</summary>
    public ServiceProxy? Service => service;

    public Task<(int[]? Tokens, RpcException? Error)>[] Streams { get; private set; } = [];

    /// <summary>
    /// Starts the cluster and the streams, and returns once every stream has received 4 tokens. `settings` go to every
    /// process as environment variables (REX_Name=value); `gatewayArgs` to the gateway (Rex:Name=value).
    /// </summary>
    public static async Task<StreamingCluster> Start(ITestOutputHelper output, int replicas, int seed, int silos = 3, int gateways = 1,
        int maxTokens = MaxTokens, IReadOnlyDictionary<string, string>? settings = null, string[]? gatewayArgs = null)
    {
        var cluster = new StreamingCluster(output, seed, maxTokens);
        foreach (var (name, value) in settings ?? new Dictionary<string, string>()) cluster.Environment[$"REX_{name}"] = value;
        try
        {
            var up = await ChildProcess.Run("rex.dll",
            [
                "cluster", "up", "--silos", silos.ToString(), "--gateways", gateways.ToString(), "--expert-replicas", replicas.ToString(),
                "--model", TestPaths.DbrxTiny, "--port", "0", "--http-port", "0", "--state", cluster.State,
                .. (gatewayArgs ?? []).SelectMany(a => (string[])["--gateway-arg", a]),
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
            cluster.Streams = [.. cluster.Prompts.Select((_, i) => cluster.Outcome(i))];
            await cluster.WaitForTokens(4);
            return cluster;
        }
        catch
        {
            // The caller never gets it to dispose: bring down what started and remove the directories here.
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Returns once the streams have received `perStream` tokens each on average.</summary>
    public async Task WaitForTokens(int perStream)
    {
        while (Volatile.Read(ref received) < perStream * Prompts.Length) await Task.Delay(10);
    }

    RexClient NewClient(string address) =>
        new(new RexClientOptions { Address = address, MaxRetries = retries, InitialBackoff = TimeSpan.FromMilliseconds(200) });

    // Each stream on its own client, so its own connection: behind the Service, the streams spread over the gateways.
    async Task<(int[]? Tokens, RpcException? Error)> Outcome(int stream)
    {
        var tokens = new List<int>();
        using var client = NewClient(address);
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await foreach (var delta in client.GenerateStreamAsync(ServingTests.Greedy(Prompts[stream], NumTokens), bound.Token))
            {
                lock (Arrivals[stream]) Arrivals[stream].Add(Stopwatch.GetTimestamp());
                tokens.AddRange(delta.TokenIds);
                Interlocked.Add(ref received, delta.TokenIds.Count);
            }
            return ([.. tokens], null);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            return (null, e);
        }
        finally
        {
            Volatile.Write(ref Ends[stream], Stopwatch.GetTimestamp());
        }
    }

    /// <summary>
    /// The longest any stream went without a token from `since` on (a Stopwatch timestamp): between two deltas, or
    /// from `since` to its first delta after it; a stream that ended counts only until its end.
    /// </summary>
    public TimeSpan LargestGapSince(long since)
    {
        var largest = 0L;
        for (var i = 0; i < Prompts.Length; i++)
        {
            long[] arrivals;
            lock (Arrivals[i]) arrivals = [.. Arrivals[i]];
            var end = Volatile.Read(ref Ends[i]);
            var previous = since;
            foreach (var arrival in arrivals.Where(a => a > since).Append(end == 0 ? Stopwatch.GetTimestamp() : end))
            {
                largest = Math.Max(largest, arrival - previous);
                previous = Math.Max(previous, arrival);
            }
        }
        return Stopwatch.GetElapsedTime(0, largest);
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
