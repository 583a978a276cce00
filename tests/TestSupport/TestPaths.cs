namespace Rex.Tests;

/// <summary>Paths tests read from the repository (fixtures live in tests/fixtures, copied from the shared set).</summary>
public static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Fixtures => Path.Combine(RepositoryRoot, "tests", "fixtures");

    public static string DbrxTiny => Path.Combine(Fixtures, "dbrx-tiny");

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Cluster.sln above {AppContext.BaseDirectory}");
    }
}
