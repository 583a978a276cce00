using Rex.Silo.Hosting;
using Rex.Silo.Security;

namespace Rex.Silo.Tests.Security;

/// <summary>Which silos warn that they run without ClusterTlsDirectory: those of a cluster of several processes.</summary>
public sealed class PlaintextClusterWarningTests
{
    [Fact]
    public void OnlyTheOneProcessDefaultStaysQuiet()
    {
        Assert.False(PlaintextClusterWarning.Applies(new RexOptions()));
        Assert.True(PlaintextClusterWarning.Applies(new RexOptions { Roles = SiloRoles.Gateway }));
        Assert.True(PlaintextClusterWarning.Applies(new RexOptions { Roles = SiloRoles.Expert, PrimarySiloEndpoint = "127.0.0.1:11111" }));
        Assert.True(PlaintextClusterWarning.Applies(new RexOptions { Clustering = "redis" }));
    }
}
