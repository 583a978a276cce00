using Rex.Cli.Cluster;
using Rex.Silo.Hosting;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// A `rex cluster up --silos 1` cluster (mutual TLS on, as by default), its Orleans client gateway port fixed so a
/// test can knock on it, and how its expert silo was started, so a test can start others like it.
/// </summary>
public sealed class TlsCluster : IAsyncLifetime
{
    readonly TemporaryDirectory state = new();
    readonly TemporaryDirectory home = new();

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["REX_HOME"] = home.Path };

    /// <summary>The gateway silo's Orleans client gateway port.</summary>
    public int OrleansGatewayPort { get; } = FreePort.Pick();

    public string Address { get; private set; } = "";

    /// <summary>The expert silo's program, arguments and REX_ environment (the data-plane secret among them).</summary>
    public ProcessLaunch Silo { get; private set; } = null!;

    /// <summary>The cluster's credentials, as `cluster up` wrote them.</summary>
    public string TlsDirectory => ClusterState.TlsDirectory(state.Path);

    public string ClusterId => Silo.Args.Last(a => a.StartsWith("--Rex:ClusterId=", StringComparison.Ordinal)).Split('=', 2)[1];

    public async Task InitializeAsync()
    {
        var up = await ChildProcess.Run("rex.dll",
        [
            "cluster", "up", "--silos", "1", "--model", TestPaths.DbrxTiny, "--port", "0", "--http-port", "0", "--state", state.Path,
            "--gateway-arg", $"Rex:OrleansGatewayPort={OrleansGatewayPort}",
        ], Environment);
        if (up.ExitCode != 0) throw new InvalidOperationException($"cluster up failed: {up.Error}");
        Address = up.Output.Trim().Split('\n')[^1];
        Silo = ProcessLaunch.Of(ClusterState.Require(state.Path).Processes.Single(p => p.IsExpertSilo).Pid);
    }

    public async Task DisposeAsync()
    {
        await ChildProcess.Run("rex.dll", ["cluster", "down", "--state", state.Path], Environment);
        state.Dispose();
        home.Dispose();
    }
}
