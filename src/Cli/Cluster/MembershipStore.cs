using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Garnet;
using Rex.Silo.Hosting;
using StackExchange.Redis;

namespace Rex.Cli.Cluster;

/// <summary>
/// The Orleans membership table of a `rex cluster up` cluster: a Garnet server (Redis protocol) in a process of its
/// own, so the table outlives any Rex process. With the gateway as the primary silo (localhost membership) the table
/// died with the gateway and every silo then stopped ("membership table version decreased"); here a gateway or silo
/// may die and restart while the others keep their place. It serves the address and password its connection string
/// names (`REX_RedisConnectionString`, the one every Rex process of the cluster reads), on loopback only.
/// </summary>
public static class MembershipStore
{
    /// <summary>The variable `rex cluster up` hands its processes, store included.</summary>
    public const string ConnectionVariable = "REX_RedisConnectionString";

    /// <summary>
    /// A connection string for a new store: a free loopback port and a fresh password. Its timeouts are three times
    /// StackExchange.Redis's 5 s: on a loaded machine a membership call that times out fails a silo's join, and the
    /// table's operations are few and small.
    /// </summary>
    public static string NewConnectionString() =>
        $"127.0.0.1:{FreePort.Pick()},password={Convert.ToHexString(RandomNumberGenerator.GetBytes(16))}," +
        "connectTimeout=15000,syncTimeout=15000,asyncTimeout=15000,abortConnect=false";

    /// <summary>
    /// Serves until the process is told to stop. The store keeps nothing worth a graceful end (no checkpoint, no log),
    /// so SIGINT and SIGTERM keep their default action and end it at once: a stop never waits on the server's disposal.
    /// </summary>
    public static void Serve()
    {
        var connection = Environment.GetEnvironmentVariable(ConnectionVariable)
            ?? throw new InvalidOperationException($"{ConnectionVariable} is not set: `rex cluster up` sets it for the store it starts");
        var options = ConfigurationOptions.Parse(connection);
        if (options.EndPoints is not [IPEndPoint endpoint] || string.IsNullOrEmpty(options.Password))
            throw new ArgumentException($"{ConnectionVariable} must name one IP endpoint and a password, e.g. 127.0.0.1:6380,password=...");
        var (host, port) = (endpoint.Address.ToString(), endpoint.Port);
        // Orleans' Redis membership runs Lua scripts; a membership table is a few kilobytes, so the store's index and
        // log stay small instead of Garnet's server-sized defaults.
        var server = new GarnetServer(
        [
            "--bind", host, "--port", port.ToString(CultureInfo.InvariantCulture), "--lua",
            "--auth", "Password", "--password", options.Password, "--index", "1m", "--page", "1m", "--memory", "8m",
        ]);
        server.Start();
        Console.WriteLine($"Rex membership store on {host}:{port}");
        Thread.Sleep(Timeout.Infinite);
    }
}
