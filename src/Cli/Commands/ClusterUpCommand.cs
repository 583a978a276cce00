using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Rex.Cli.Cluster;
using Rex.Client;
using Rex.Model.Checkpoint;
using Rex.Model.Layers;
using Rex.Silo.Hosting;
using Rex.Silo.Security;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex cluster up --silos N [--gateways G] [--model DIR] [--port P] [--http-port H] [--membership embedded|localhost|redis]
/// [--api-key KEY]`: starts a membership store (with --membership embedded), G gateway processes (default 1) and N
/// expert-silo processes on this machine, with mutual TLS between them from a throwaway certificate authority (in the
/// state directory), waits until every gateway has every expert replica active, prints the gateways' addresses, one per line.
/// </summary>
internal static partial class ClusterUpCommand
{
    const string GatewayProgram = "Rex.Gateway.dll";
    const string SiloProgram = "Rex.Silo.dll";
    const string CliProgram = "rex.dll";

    // Made afresh by every `up`; long enough for any local cluster to outlive its use.
    static readonly TimeSpan CertificateLifetime = TimeSpan.FromDays(365);

    public static Command Create()
    {
        var silos = new Option<int>("--silos") { Description = "expert-silo processes to start", DefaultValueFactory = _ => 2 };
        var model = new ModelOptions();
        var port = new Option<int>("--port") { Description = "public gRPC port of the gateway; 0 picks a free one", DefaultValueFactory = _ => 50051 };
        var httpPort = new Option<int>("--http-port") { Description = "OpenAI-compatible HTTP port of the gateway; 0 picks a free one", DefaultValueFactory = _ => 8000 };
        var membership = new Option<string>("--membership")
        {
            Description = "embedded (a membership store of the cluster's own, which outlives any gateway or silo), localhost " +
                "(the gateway is the primary silo: the cluster ends with it) or redis (--redis)",
            DefaultValueFactory = _ => "embedded",
        };
        var redis = new Option<string>("--redis") { Description = "Redis connection string for --membership redis", DefaultValueFactory = _ => "localhost:6379" };
        var replicas = new Option<int>("--expert-replicas") { Description = "replicas of every expert", DefaultValueFactory = _ => 1 };
        var torchThreads = new Option<int>("--torch-threads")
        {
            Description = "intra-op threads of each process (default: the cores divided among the processes)",
        };
        var devices = new Option<string>("--devices") { Description = "devices of each expert silo (cpu, cpu:0,cpu:1, cuda:0)", DefaultValueFactory = _ => "cpu" };
        var state = new Option<string?>("--state") { Description = "directory for the cluster's state and logs (default ~/.cache/rex/cluster)" };
        var timeout = new Option<int>("--timeout") { Description = "seconds to wait for every expert to be active", DefaultValueFactory = _ => 180 };
        var gateways = new Option<int>("--gateways")
        {
            Description = "gateway processes, each with its own engine over the shared expert silos (ports P, P+1, ... unless 0); " +
                "a cluster that must survive losing one needs --membership embedded (the default) or redis",
            DefaultValueFactory = _ => 1,
        };
        var gatewayArgs = new Option<string[]>("--gateway-arg") { Description = "extra setting for the gateway, e.g. Rex:NumMicroBatches=1 (repeatable)" };
        var apiKey = new ApiKeyOption();
        var command = new Command("up", "Start a gateway and expert silos as processes on this machine")
        {
            silos, gateways, port, httpPort, membership, redis, replicas, devices, torchThreads, state, timeout, gatewayArgs,
        };
        model.AddTo(command);
        apiKey.AddTo(command);
        CliAction.Set(command, (parse, output) =>
        {
            var count = parse.GetValue(silos);
            if (count < 1) throw new ArgumentException($"--silos must be at least 1, got {count}", "--silos");
            var gatewayCount = parse.GetValue(gateways);
            if (gatewayCount < 1) throw new ArgumentException($"--gateways must be at least 1, got {gatewayCount}", "--gateways");
            var mode = parse.GetValue(membership)!;
            if (mode is not ("embedded" or "localhost" or "redis"))
                throw new ArgumentException($"--membership '{mode}' is not embedded, localhost or redis", "--membership");
            var directory = Path.GetFullPath(parse.GetValue(state) ?? ClusterState.DefaultDirectory);
            Directory.CreateDirectory(directory);
            if (ClusterState.Read(directory) is { } running && running.Processes.Any(p => ChildProcesses.IsRunning(p.Pid, Program(p))))
                throw new InvalidOperationException($"a cluster started from {directory} is still running (gateway {running.Gateways.FirstOrDefault()}); run `rex cluster down` first");

            // A port another process holds would end the gateway during its start, with a stack trace in its log: say so
            // before anything starts, naming the holder and the flag.
            for (var g = 0; g < gatewayCount; g++)
                foreach (var (flag, first) in new[] { ("--port", parse.GetValue(port)), ("--http-port", parse.GetValue(httpPort)) })
                    if (PortOf(first, g) is > 0 and var fixedPort && PortInUse.Check(IPAddress.Loopback, fixedPort) is { } conflict)
                        throw new InvalidOperationException($"{conflict}: stop it, or give {flag} another port (0 picks a free one)");
            // Checked here, so a bad value fails with one error before any process starts; the processes get the text.
            var loadFormat = parse.GetValue(model.LoadFormat)!;
            _ = LoadFormats.Parse(loadFormat);
            var overrides = model.Overrides(parse);
            var dtype = parse.GetValue(model.DType)!;
            _ = ComputePlacement.ParseDType(dtype);
            var modelPath = Path.GetFullPath(model.ModelPath(parse));
            // Every process of this cluster shares a fresh data-plane secret, handed down in the environment (not on a
            // command line any local user can read), unless the caller set one.
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("REX_DataPlaneSecret")))
                Environment.SetEnvironmentVariable("REX_DataPlaneSecret", Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
            // The gateways' API key, which the readiness checks below must present too: a --gateway-arg setting wins, as it
            // does in the gateway; else --api-key (or REX_API_KEY), handed down in the environment like the secret; else
            // the gateway setting's own variable, REX_ApiKey, when the caller set it.
            var key = GatewaySetting(parse.GetValue(gatewayArgs) ?? [], "Rex:ApiKey") ?? apiKey.Read(parse)
                ?? (Environment.GetEnvironmentVariable("REX_ApiKey") is { Length: > 0 } inherited ? inherited : null);
            if (key is not null) Environment.SetEnvironmentVariable("REX_ApiKey", key);
            // Mutual TLS between the cluster's processes, from an authority made for this cluster alone: a process started
            // without its certificate (or with another) cannot join as a silo, connect as a client or reach the data plane.
            var tls = ClusterState.TlsDirectory(directory);
            ThrowawayCertificateAuthority.Write(tls, CertificateLifetime);
            string[] common =
            [
                $"--Rex:Model={modelPath}",
                $"--Rex:DType={dtype}",
                $"--Rex:LoadFormat={loadFormat}",
                $"--Rex:HfOverrides={overrides?.ToJsonString() ?? ""}",
                $"--Rex:Clustering={(mode == "localhost" ? "localhost" : "redis")}",
                $"--Rex:ClusterId=rex-{Guid.NewGuid():N}",
                $"--Rex:ClusterTlsDirectory={tls}",
                $"--Rex:TorchThreads={(parse.GetValue(torchThreads) is > 0 and var t ? t : Math.Max(1, Environment.ProcessorCount / (count + 1)))}",
                "--Logging:LogLevel:Default=Information",
                "--Logging:LogLevel:Microsoft=Warning",
                "--Logging:LogLevel:Orleans=Warning",
                "--Logging:LogLevel:Polly=Warning", // Orleans' placement pipeline logs every attempt at Information
            ];
            // The Redis connection string travels in the environment too: the embedded store's carries its password.
            if (mode != "localhost")
                Environment.SetEnvironmentVariable(MembershipStore.ConnectionVariable, mode == "embedded" ? MembershipStore.NewConnectionString() : parse.GetValue(redis));
            var primaryPort = FreePort.Pick();
            var processes = new List<ClusterProcess>();
            // Saved after every start: an interrupted `up` leaves nothing `down` cannot find.
            void Started(ClusterProcess process)
            {
                processes.Add(process);
                new ClusterState([], processes).Write(directory);
            }
            // A fixed port is the first gateway's; the others take the ports after it.
            static int PortOf(int first, int gateway) => first == 0 ? 0 : first + gateway;
            var limit = TimeSpan.FromSeconds(parse.GetValue(timeout));
            try
            {
                if (mode == "embedded")
                {
                    var log = Path.Combine(directory, $"{ClusterProcess.MembershipRole}.log");
                    File.WriteAllText(log, "");
                    var store = new ClusterProcess(ClusterProcess.MembershipRole, ChildProcesses.Start(CliProgram, ["cluster", "membership-store"], log, directory), log);
                    Started(store);
                    WaitForLine(store, processes, limit, StoreLine());
                }
                for (var g = 0; g < gatewayCount; g++)
                {
                    var role = ClusterProcess.Gateway(g);
                    var log = Path.Combine(directory, $"{role}.log");
                    File.WriteAllText(log, "");
                    Started(new ClusterProcess(role, ChildProcesses.Start(GatewayProgram,
                    [
                        .. common,
                        "--Rex:Roles=gateway",
                        g == 0 ? $"--Rex:SiloPort={primaryPort}" : $"--Rex:PrimarySiloEndpoint=127.0.0.1:{primaryPort}",
                        $"--Rex:Port={PortOf(parse.GetValue(port), g)}",
                        $"--Rex:HttpPort={PortOf(parse.GetValue(httpPort), g)}",
                        $"--Rex:MinExpertSilos={count}",
                        $"--Rex:ExpertReplicas={parse.GetValue(replicas)}",
                        .. (parse.GetValue(gatewayArgs) ?? []).Select(a => "--" + a),
                    ], log, directory), log));
                }
                for (var i = 0; i < count; i++)
                {
                    var log = Path.Combine(directory, $"silo-{i}.log");
                    File.WriteAllText(log, "");
                    Started(new ClusterProcess($"silo-{i}", ChildProcesses.Start(SiloProgram,
                    [
                        .. common,
                        "--Rex:Roles=expert",
                        $"--Rex:Devices={parse.GetValue(devices)}",
                        $"--Rex:PrimarySiloEndpoint=127.0.0.1:{primaryPort}",
                    ], log, directory), log));
                }
                var addresses = processes.Where(p => p.IsGateway).Select(p => WaitForLine(p, processes, limit, ServingLine())).ToArray();
                new ClusterState(addresses, processes).Write(directory);
                foreach (var address in addresses) WaitForExperts(new RexClientOptions { Address = address, ApiKey = key }, count, processes, limit);
                foreach (var address in addresses) output.WriteLine(address);
            }
            catch
            {
                foreach (var process in ClusterState.StopOrder(processes)) ChildProcesses.Stop(process.Pid, Program(process), TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
                ClusterState.Delete(directory);
                throw;
            }
        });
        return command;
    }

    internal static string Program(ClusterProcess process) =>
        process.IsGateway ? GatewayProgram : process.IsMembershipStore ? CliProgram : SiloProgram;

    // A gateway prints "Rex gateway serving MODEL on URL" once its API listens, the store "Rex membership store on
    // HOST:PORT" once it accepts connections; the first group is what follows "on".
    static string WaitForLine(ClusterProcess process, IReadOnlyList<ClusterProcess> processes, TimeSpan timeout, Regex line)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            RequireAlive(processes);
            if (line.Match(File.ReadAllText(process.Log)) is { Success: true } match) return match.Groups[1].Value;
            Thread.Sleep(200);
        }
        throw new TimeoutException($"{process.Role} did not start within {timeout.TotalSeconds:F0} s; see {process.Log}");
    }

    // The last value a --gateway-arg gives `setting` (configuration keys ignore case, as the gateway reads them); null when none or empty.
    static string? GatewaySetting(IEnumerable<string> gatewayArgs, string setting) =>
        gatewayArgs.Where(a => a.StartsWith(setting + "=", StringComparison.OrdinalIgnoreCase)).Select(a => a[(setting.Length + 1)..]).LastOrDefault() is { Length: > 0 } value
            ? value
            : null;

    static void WaitForExperts(RexClientOptions gateway, int expertSilos, IReadOnlyList<ClusterProcess> processes, TimeSpan timeout)
    {
        using var client = new RexClient(gateway);
        var clock = Stopwatch.StartNew();
        var last = "no answer yet";
        while (clock.Elapsed < timeout)
        {
            RequireAlive(processes);
            try
            {
                var status = client.GetClusterStatusAsync().GetAwaiter().GetResult();
                var active = status.Silos.Sum(s => s.Experts.Count);
                var silos = status.Silos.Count(s => s.Roles.Contains(SiloRoles.Expert));
                if (active == status.ExpectedExperts && silos == expertSilos) return;
                // Every active silo is listed, its roles as the gateway's metadata cache knows them: a silo that
                // joined but whose roles never arrived shows as "no roles", apart from one that never joined.
                var members = string.Join(", ", status.Silos.Select(s => $"{s.Address} {(s.Roles.Count == 0 ? "no roles" : string.Join('+', s.Roles))}"));
                last = $"{active} of {status.ExpectedExperts} experts active on {silos} of {expertSilos} expert silos (active silos: {members})";
            }
            // A key the gateway refuses will not change while we wait: that fails at once.
            catch (Grpc.Core.RpcException e) when (e.StatusCode != Grpc.Core.StatusCode.Unauthenticated)
            {
                last = e.Status.Detail;
            }
            Thread.Sleep(500);
        }
        throw new TimeoutException($"the cluster was not ready within {timeout.TotalSeconds:F0} s: {last}");
    }

    static void RequireAlive(IReadOnlyList<ClusterProcess> processes)
    {
        foreach (var process in processes)
            if (!ChildProcesses.IsRunning(process.Pid, Program(process)))
                throw new InvalidOperationException($"{process.Role} exited during start-up; its log ({process.Log}) ends:\n{Tail(process.Log)}");
    }

    static string Tail(string log) => string.Join('\n', File.ReadAllLines(log).TakeLast(15));

    [GeneratedRegex(@"Rex gateway serving \S+ on (\S+)")]
    private static partial Regex ServingLine();

    [GeneratedRegex(@"Rex membership store on (\S+)")]
    private static partial Regex StoreLine();
}
