using Rex.Cli.Cluster;
using Rex.Tests;

namespace Rex.Cli.Tests.Commands;

/// <summary>`rex cluster drain` refuses what it cannot drain, naming it (the drain itself: EndToEnd DrainTests).</summary>
public sealed class ClusterDrainCommandTests
{
    [Fact]
    public void WithoutAClusterItSaysWhereItLooked()
    {
        using var state = new TemporaryDirectory();
        var drain = CliRunner.InProcess("cluster", "drain", "silo-0", "--state", state.Path);
        Assert.NotEqual(0, drain.ExitCode);
        Assert.Contains($"no cluster was started from {state.Path}", drain.Error);
    }

    [Theory]
    [InlineData("gateway")]
    [InlineData("gateway-1")]
    [InlineData("silo-7")]
    public void AnythingButOneOfItsExpertSilosIsRefusedWithTheSilosItHas(string silo)
    {
        using var state = new TemporaryDirectory();
        new ClusterState(["http://127.0.0.1:1", "http://127.0.0.1:2"],
            [new("gateway", 1, "gateway.log"), new("gateway-1", 1, "gateway-1.log"), new("silo-0", 1, "silo-0.log"), new("silo-1", 1, "silo-1.log")]).Write(state.Path);
        var drain = CliRunner.InProcess("cluster", "drain", silo, "--state", state.Path);
        Assert.NotEqual(0, drain.ExitCode);
        Assert.Contains($"silo '{silo}' is not an expert silo of this cluster (it has silo-0, silo-1)", drain.Error);
    }

    [Fact]
    public void ASiloThatIsNotRunningIsNamed()
    {
        using var state = new TemporaryDirectory();
        // pid 1 is never one of Rex's programs.
        new ClusterState(["http://127.0.0.1:1"], [new("gateway", 1, "gateway.log"), new("silo-0", 1, "silo-0.log")]).Write(state.Path);
        var drain = CliRunner.InProcess("cluster", "drain", "silo-0", "--state", state.Path);
        Assert.NotEqual(0, drain.ExitCode);
        Assert.Contains("silo-0 (pid 1) is not running", drain.Error);
    }
}
