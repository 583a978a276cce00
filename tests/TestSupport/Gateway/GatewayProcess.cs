using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Rex.Client;

namespace Rex.Tests;

/// <summary>
/// The built gateway program (`dotnet run --project src/Gateway`: the whole cluster in one process) as a real child
/// process on a free port with its own REX_HOME, and an SDK client of it. Started means every expert is active
/// (unless the caller says not to wait for them).
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    readonly TemporaryDirectory home;
    readonly ChildProcess process;

    GatewayProcess(TemporaryDirectory home, ChildProcess process, string address, string openAiBase, RexClient client)
    {
        this.home = home;
        this.process = process;
        Address = address;
        OpenAiBase = openAiBase;
        Client = client;
    }

    /// <summary>The public API's address, e.g. http://127.0.0.1:41234 (https:// with TLS).</summary>
    public string Address { get; }

    /// <summary>The OpenAI-compatible HTTP API's base, e.g. http://127.0.0.1:41235/v1.</summary>
    public string OpenAiBase { get; }

    /// <summary>A client of <see cref="Address"/>, with the gateway's API key if it has one.</summary>
    public RexClient Client { get; }

    /// <summary>Whether the process has ended (crashed, for a gateway nobody stopped).</summary>
    public bool HasExited => process.HasExited;

    /// <summary>What the process wrote to stderr so far (an unhandled exception's trace, for one that crashed).</summary>
    public string Error => process.Error;

    /// <summary>What the process wrote to stdout so far (its log).</summary>
    public string Output => process.Output;

    /// <summary>The process's REX_HOME (where the built-in model is written).</summary>
    public string Home => home.Path;

    /// <summary>The fixture checkpoint (tests/fixtures/dbrx-tiny) served as model "dbrx-tiny".</summary>
    public static string[] FixtureModel => [$"--Rex:Model={TestPaths.DbrxTiny}", "--Rex:ModelName=dbrx-tiny"];

    /// <param name="args">Gateway settings, `--Rex:Name=value`; the ports are always free ones, so gateways run side by side.</param>
    /// <param name="apiKey">The key the gateway requires (`Rex:ApiKey`), also given to <see cref="Client"/>; null: none.</param>
    /// <param name="trustedRoot">For a gateway serving TLS: the root <see cref="Client"/> trusts.</param>
    /// <param name="waitForExperts">Return only once every expert is active; false for a gateway that has no expert silo.</param>
    /// <param name="program">The program and the arguments before the settings; default the gateway program, Rex.Gateway.dll.</param>
    public static async Task<GatewayProcess> Start(IEnumerable<string> args, string? apiKey = null, X509Certificate2? trustedRoot = null,
        bool waitForExperts = true, string[]? program = null)
    {
        program ??= ["Rex.Gateway.dll"];
        var home = new TemporaryDirectory();
        string[] settings = ["--Rex:Port=0", "--Rex:HttpPort=0", .. args, .. apiKey is null ? Array.Empty<string>() : [$"--Rex:ApiKey={apiKey}"]];
        var process = ChildProcess.Start(program[0], [.. program[1..], .. settings], new Dictionary<string, string> { ["REX_HOME"] = home.Path });
        RexClient? client = null;
        try
        {
            // The program prints the gRPC address, then the HTTP one.
            var address = AddressPattern().Match(process.WaitForLine("Rex gateway serving", StartTimeout)).Value;
            var openAiBase = AddressPattern().Match(process.WaitForLine("OpenAI-compatible HTTP API on", StartTimeout)).Value;
            client = new RexClient(new RexClientOptions { Address = address, ApiKey = apiKey, RootCertificate = trustedRoot });
            if (waitForExperts) await WaitUntilReady(client);
            return new GatewayProcess(home, process, address, openAiBase, client);
        }
        catch
        {
            client?.Dispose();
            await process.DisposeAsync();
            home.Dispose();
            throw;
        }
    }

    static async Task WaitUntilReady(RexClient client)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            var status = await client.GetClusterStatusAsync();
            if (status.Silos.Sum(s => s.Experts.Count) == status.ExpectedExperts) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"experts not all active: {status}");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await process.DisposeAsync();
        home.Dispose();
    }

    [GeneratedRegex(@"https?://\S+")]
    private static partial Regex AddressPattern();
}
