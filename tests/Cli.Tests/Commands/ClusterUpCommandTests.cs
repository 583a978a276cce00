using System.Net;
using System.Net.Sockets;
using Rex.Tests;

namespace Rex.Cli.Tests.Commands;

/// <summary>`rex cluster up` refuses impossible shapes before it starts anything (clusters themselves: EndToEnd ClusterUpTests).</summary>
public sealed class ClusterUpCommandTests
{
    [Theory]
    [InlineData("--silos", "0", "--silos must be at least 1, got 0")]
    [InlineData("--gateways", "0", "--gateways must be at least 1, got 0")]
    [InlineData("--membership", "etcd", "--membership 'etcd' is not embedded, localhost or redis")]
    public void ImpossibleShapesAreRefusedNamingTheOption(string option, string value, string message)
    {
        using var state = new TemporaryDirectory();
        var up = CliRunner.InProcess("cluster", "up", option, value, "--state", state.Path);
        Assert.NotEqual(0, up.ExitCode);
        Assert.Contains(message, up.Error);
        Assert.Empty(Directory.GetFiles(state.Path));
    }

    [Theory]
    [InlineData("--port")]
    [InlineData("--http-port")]
    public void APortInUseIsOneLineNamingItsHolderAndTheFlag(string flag)
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        using var state = new TemporaryDirectory();
        var other = flag == "--port" ? "--http-port" : "--port";
        var up = CliRunner.InProcess("cluster", "up", "--silos", "1", flag, port.ToString(), other, "0", "--state", state.Path);
        Assert.Equal(1, up.ExitCode);
        var line = Assert.Single(up.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"port {port} on 127.0.0.1 is in use by pid {Environment.ProcessId} (", line);
        Assert.EndsWith($"stop it, or give {flag} another port (0 picks a free one)", line.TrimEnd());
        Assert.Empty(Directory.GetFiles(state.Path));
    }
}
