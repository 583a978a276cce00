using Rex.Tests;

namespace Rex.Deploy.Tests;

/// <summary>
/// docker/*.Dockerfile, read as text (no Docker daemon needed): built without build arguments every image is a CPU
/// one (a laptop's kind cluster has no GPU, and a CUDA base weighs gigabytes), the silo image takes the CUDA base by
/// a build argument, and the gateway image carries the rex command the chart's model download runs.
/// </summary>
public sealed class DockerfileTests
{
    static readonly string Docker = Path.Combine(TestPaths.RepositoryRoot, "docker");

    public static TheoryData<string> Dockerfiles => new(Directory.GetFiles(Docker, "*.Dockerfile").Select(f => Path.GetFileName(f)));

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void DefaultBaseImagesAreNotCudaOnes(string dockerfile)
    {
        var bases = DockerfileBases.Of(File.ReadLines(Path.Combine(Docker, dockerfile)));

        Assert.NotEmpty(bases);
        Assert.All(bases, image => Assert.DoesNotContain("cuda", image, StringComparison.OrdinalIgnoreCase));
        Assert.All(bases, image => Assert.StartsWith("mcr.microsoft.com/dotnet/", image));
    }

    [Fact]
    public void TheSiloImageRunsOnTheCudaBaseItsCommentNames()
    {
        var lines = File.ReadAllLines(Path.Combine(Docker, "silo.Dockerfile"));
        const string buildArg = "--build-arg BASE_IMAGE=";
        var documented = lines.Single(l => l.Contains(buildArg, StringComparison.Ordinal));
        var cudaImage = documented[(documented.IndexOf(buildArg, StringComparison.Ordinal) + buildArg.Length)..].Split(' ')[0];

        var bases = DockerfileBases.Of(lines, new Dictionary<string, string> { ["BASE_IMAGE"] = cudaImage });

        Assert.StartsWith("nvidia/cuda:", cudaImage);
        Assert.Equal(cudaImage, bases[^1]);
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
