using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Rex.EndToEnd.Tests;

/// <summary>A private redis-server (from apt; .ci/run installs it) on a free loopback port, without persistence, for Redis membership.</summary>
internal sealed class RedisServer : IDisposable
{
    readonly Process process;

    RedisServer(Process process, int port)
    {
        this.process = process;
        ConnectionString = $"127.0.0.1:{port}";
    }

    public string ConnectionString { get; }

    public static RedisServer Start()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
            start.ArgumentList.Add(arg);
        Process redis;
        try
        {
            redis = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed: run .ci/run, or apt-get install redis-server", e);
        }
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                using var client = new TcpClient("127.0.0.1", port);
                return new RedisServer(redis, port);
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        redis.Kill();
        redis.Dispose();
        throw new TimeoutException($"redis-server did not listen on {port}");
    }

    public void Dispose()
    {
        process.Kill();
        process.Dispose();
    }
}
