using System.Net;
using System.Net.Sockets;

namespace Rex.Cli.Tests;

/// <summary>Every command that calls a server fails with one line naming the address when nothing listens there.</summary>
public sealed class UnreachableServerTests
{
    public static TheoryData<string[]> ServerCommands => new()
    {
        new[] { "generate", "--prompt", "Hello", "--server" },
        new[] { "generate", "--prompt", "Hello", "--json", "--server" },
        new[] { "cluster", "status", "--server" },
        new[] { "bench", "--warmup-seconds", "0", "--server" },
    };

    [Theory]
    [MemberData(nameof(ServerCommands))]
    public void AnUnreachableServerIsOneLineNamingItsAddress(string[] command)
    {
        var address = $"http://127.0.0.1:{ClosedPort()}";
        var outcome = CliRunner.InProcess([.. command, address]);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal($"error: cannot reach {address}: nothing listens there (connection refused); is the Rex gateway running, and on that port?",
            outcome.Error.TrimEnd());
        Assert.Equal("", outcome.Output);
    }

    [Fact]
    public async Task ChatToAnUnreachableServerIsOneLineNamingItsAddress()
    {
        var address = $"http://127.0.0.1:{ClosedPort()}";
        var outcome = await CliRunner.ChildProcessWithInput("Hello\n", "chat", "--server", address);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal($"error: cannot reach {address}: nothing listens there (connection refused); is the Rex gateway running, and on that port?",
            outcome.Error.Trim());
    }

    /// <summary>A loopback port that was free a moment ago and has no listener now.</summary>
    static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
