using System.Net;
using System.Net.Sockets;
using Rex.Silo.Hosting;
using Rex.Tests;

namespace Rex.Silo.Tests.Hosting;

public sealed class PortInUseTests
{
    [Fact]
    public void AFreePortAndAPortLeftAtZeroAreNoConflict()
    {
        Assert.Null(PortInUse.Check(IPAddress.Loopback, FreePort.Pick()));
        Assert.Null(PortInUse.FirstConflict(("Rex:DataPlanePort", "127.0.0.1", 0)));
    }

    [Fact]
    public void AHeldPortNamesThisProcessAsItsHolderAndTheSettingToChange()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var conflict = PortInUse.FirstConflict(("Rex:MetricsPort", "127.0.0.1", 0), ("Rex:DataPlanePort", "127.0.0.1", port));
        Assert.StartsWith($"port {port} on 127.0.0.1 is in use by pid {Environment.ProcessId} (", conflict);
        Assert.EndsWith("stop it, or set Rex:DataPlanePort to another port (--Rex:DataPlanePort=N; 0 picks a free one)", conflict);
    }

    [Fact]
    public async Task AnExpertSiloWhosePortIsHeldExitsWithOneLine()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var silo = await ChildProcess.Run("Rex.Silo.dll", [$"--Rex:DataPlanePort={port}"]);
        Assert.Equal(1, silo.ExitCode);
        var line = Assert.Single(silo.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: port {port} on 127.0.0.1 is in use by pid {Environment.ProcessId}", line);
    }
}
