using Rex.Tests;

namespace Rex.Deploy.Tests;

/// <summary>
/// docker/*.Dockerfile, read as text (no Docker daemon needed): built without build arguments every image runs on
/// the ASP.NET runtime, not CUDA (a laptop's kind cluster has no GPU, and a CUDA base weighs gigabytes), the silo
/// image runs on CUDA by the build argument its comment documents, and the gateway image carries the rex command the
/// chart's model download runs.
/// </summary>
public sealed class DockerfileTests
{
    static readonly string Docker = Path.Combine(TestPaths.RepositoryRoot, "docker");

    public static TheoryData<string> Dockerfiles => new(Directory.GetFiles(Docker, "*.Dockerfile").Select(f => Path.GetFileName(f)));

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void TheDefaultBaseIsNotACudaOne(string dockerfile)
    {
        var image = DockerfileBase.Final(File.ReadLines(Path.Combine(Docker, dockerfile)));

        Assert.DoesNotContain("cuda", image, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", image);
    }

    [Fact]
    public void TheSiloImageRunsOnCudaByTheBuildArgumentItsCommentNames()
    {
        var lines = File.ReadAllLines(Path.Combine(Docker, "silo.Dockerfile"));
        const string buildArg = "--build-arg ";
        var documented = lines.Single(l => l.Contains(buildArg, StringComparison.Ordinal));
        var assignment = documented[(documented.IndexOf(buildArg, StringComparison.Ordinal) + buildArg.Length)..].Split(' ')[0].Split('=', 2);

        var image = DockerfileBase.Final(lines, new Dictionary<string, string> { [assignment[0]] = assignment[1] });

        Assert.StartsWith("nvidia/cuda:", image);
    }

    [Fact]
    public void TheGatewayImageCarriesTheRexCommandWhereTheChartRunsIt()
    {
        var text = File.ReadAllText(Path.Combine(Docker, "gateway.Dockerfile"));
        var download = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "helm", "rex", "templates", "_model-download.tpl"));

        Assert.Contains("dotnet publish src/Cli/Rex.Cli.csproj --no-restore -c Release -o /app ", text);
        Assert.Contains("WORKDIR /app", text);
        Assert.Contains("\"dotnet\", \"/app/rex.dll\", \"model\", \"download\"", download);
    }
}
