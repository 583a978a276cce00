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
}
