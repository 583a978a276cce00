using System.Net;
using System.Net.Sockets;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// An external Redis for `--membership redis`: a Redis-protocol server with a password on a free loopback port, the
/// Garnet server `rex cluster membership-store` runs (so the tests need no redis-server from apt).
/// </summary>
internal sealed class RedisServer : IDisposable
{
    readonly ChildProcess process;

    RedisServer(ChildProcess process, string connectionString)
    {
        this.process = process;
        ConnectionString = connectionString;
    }

    /// <summary>StackExchange.Redis's form: `127.0.0.1:PORT,password=...`.</summary>
    public string ConnectionString { get; }

    public static RedisServer Start()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var connectionString = $"127.0.0.1:{port},password={Guid.NewGuid():N}";
        var server = ChildProcess.Start("rex.dll", ["cluster", "membership-store"],
            new Dictionary<string, string> { ["REX_RedisConnectionString"] = connectionString });
        server.WaitForLine("Rex membership store on", TimeSpan.FromSeconds(60));
        return new RedisServer(server, connectionString);
    }

    public void Dispose() => process.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
