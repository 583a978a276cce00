using System.IO.Compression;
using Rex.Tests;

namespace Rex.Client.Tests;

/// <summary>
/// The README's install of the SDK package as a new user does it: packed from this checkout, a new .NET 8 project
/// whose nuget.config names the package folder beside the usual sources, `dotnet add package Rex.Client` into an
/// empty NuGet cache (`dotnet add package --source DIR` alone failed there: the package's own dependencies were
/// looked for in DIR only), then built and run.
/// </summary>
public sealed class PackageTests
{
    [Fact]
    public async Task TheDocumentedInstallWorksWithAnEmptyNuGetCache()
    {
        using var work = new TemporaryDirectory();
        var packages = Path.Combine(work.Path, "packages");
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        Succeeded(await ExternalProgram.Run("dotnet", ["pack", Path.Combine(TestPaths.RepositoryRoot, "src", "Client"), "-c", configuration, "-o", packages, "-nologo"],
            TestPaths.RepositoryRoot));

        using (var package = ZipFile.OpenRead(Assert.Single(Directory.GetFiles(packages, "Rex.Client.*.nupkg"))))
        {
            var entries = package.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains("README.md", entries);
            foreach (var framework in new[] { "net8.0", "net10.0" })
                foreach (var file in new[] { "Rex.Client.dll", "Rex.Client.xml", "Rex.Protos.dll", "Rex.Protos.xml" })
                    Assert.Contains($"lib/{framework}/{file}", entries);
        }

        var app = Path.Combine(work.Path, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "app.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net8.0</TargetFramework>
                <RollForward>Major</RollForward>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Rex.Client;
            using Rex.Protos.Api;
            var options = new RexClientOptions { Address = "http://127.0.0.1:50051" };
            Console.WriteLine($"{options.MaxRetries} {new SamplingParameters { MaxTokens = 3 }.MaxTokens}");
            """);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="rex" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        var emptyCache = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(work.Path, "nuget-cache") };
        Succeeded(await ExternalProgram.Run("dotnet", ["add", "package", "Rex.Client"], app, emptyCache));
        Succeeded(await ExternalProgram.Run("dotnet", ["build", "-nologo"], app, emptyCache));
        var run = await ExternalProgram.Run("dotnet", [Path.Combine(app, "bin", "Debug", "net8.0", "app.dll")], app, emptyCache);
        Succeeded(run);
        Assert.Equal("2 3", run.Output.Trim());
    }

    static void Succeeded(ChildProcess.Outcome outcome) =>
        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}\n{outcome.Output}\n{outcome.Error}");
}
