using System.Diagnostics;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Rex.Cli.Bench.Echo;
using Rex.Gateway.Dispatch;
using Rex.Model.Tensors;
using Rex.Protos.DataPlane;
using Rex.Protos.Grains;
using Rex.Silo.DataPlane;
using static TorchSharp.torch;

namespace Rex.Cli.Bench;

/// <summary>
/// One layer's dispatch round trip over the real data plane, against the floor a bare gRPC echo of the same bytes
/// sets, at 1, 2, 4, ... rows. A round trip is what the gateway does for one message to one silo: the rows' copy to
/// host bytes and their encoding (<see cref="ExpertBatchEncoder"/>), <see cref="SiloChannel"/>'s send, the silo's
/// <see cref="ExpertDataPlaneService"/> and <see cref="ExpertBatchRunner"/> (checks, every expert's rows on its
/// executor, the weighted sum and its encoding), the reply matched to its send, the partial read back into a tensor.
/// The echo sends one frame as large as that ExpertBatch on a bidirectional stream and waits for it to come back.
/// Transport is a round trip less the compute the silo reports for it; its ratio to the echo is what the data plane
/// costs above the floor. Both go over real loopback sockets, one round trip in flight at a time.
/// </summary>
internal static class TransportBench
{
    const int WarmupRoundTrips = 20;

    // Bounds each row count's measurement, so the default run (10 row counts) ends within 2 minutes on 2 cores.
    static readonly TimeSpan MaxTimePerRowCount = TimeSpan.FromSeconds(5);

    public sealed record Conditions(int Cores, int TorchThreads, string Model, int HiddenSize, string DType, int NumExperts, int TopK,
        int WarmupRoundTrips, int MaxRoundTrips, double MaxSecondsPerRowCount);

    /// <summary>The figures of one row count, in microseconds per round trip.</summary>
    /// <param name="RequestBytes">The ExpertBatch on the wire, and so each echo frame.</param>
    /// <param name="TransportOverEcho">Transport p50 over echo p50.</param>
    public sealed record RowCountFigures(int Rows, int RequestBytes, int ReplyBytes, int RoundTrips, Percentiles EchoMicros,
        Percentiles DataPlaneMicros, Percentiles ComputeMicros, Percentiles TransportMicros, double TransportOverEcho);

    public sealed record Report(Conditions Conditions, RowCountFigures[] RowCounts)
    {
        public override string ToString()
        {
            var c = Conditions;
            var text = new StringBuilder();
            text.AppendLine($"data plane round trip vs bare gRPC echo on loopback: {c.Model}, d_model {c.HiddenSize}, {c.DType}, " +
                $"{c.NumExperts} experts of layer 0 on one CPU executor, top-{c.TopK} routing spread evenly; {c.Cores} cores, " +
                $"torch threads {c.TorchThreads}; up to {c.MaxRoundTrips} round trips or {c.MaxSecondsPerRowCount:F0} s per row count " +
                $"after {c.WarmupRoundTrips} warm-up; microseconds");
            text.AppendLine($"{"rows",5} {"bytes",8} {"n",4} | {"echo p50",8} {"p99",7} | {"data plane p50",14} {"p99",7} | " +
                $"{"compute p50",11} {"p99",7} | {"transport p50",13} {"p99",7} | {"transport/echo",14}");
            foreach (var r in RowCounts)
                text.AppendLine($"{r.Rows,5} {r.RequestBytes,8} {r.RoundTrips,4} | {r.EchoMicros.P50,8:F0} {r.EchoMicros.P99,7:F0} | " +
                    $"{r.DataPlaneMicros.P50,14:F0} {r.DataPlaneMicros.P99,7:F0} | {r.ComputeMicros.P50,11:F0} {r.ComputeMicros.P99,7:F0} | " +
                    $"{r.TransportMicros.P50,13:F0} {r.TransportMicros.P99,7:F0} | {r.TransportOverEcho,14:F2}");
            return text.ToString().TrimEnd();
        }
    }

    /// <param name="progress">Where each row count's end is reported (stderr).</param>
    public static async Task<Report> Run(string modelPath, int maxRows, int maxRoundTrips, TextWriter progress)
    {
        // The gateway's side (this thread pool) and the silo's executor share the machine, as the two processes of a
        // one-machine cluster do.
        TorchThreads.Configure(0, computeThreads: 2);
        await using var silo = await LoopbackExpertSilo.Start(modelPath);
        await using var echoServer = await TransportEchoServer.Start();
        // h2c, as between processes without ClusterTlsDirectory: the floor the echo sets is plaintext too.
        await using var dataPlane = new SiloChannel(silo.Address, new DataPlaneSecret(""), null, _ => { });
        using var echoChannel = GrpcChannel.ForAddress(echoServer.Address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = DataPlaneServer.MaxMessageBytes,
            MaxSendMessageSize = DataPlaneServer.MaxMessageBytes,
        });
        using var echo = new TransportEcho.TransportEchoClient(echoChannel).Echo();
        var config = silo.Catalog.Directory.Config;
        // The loopback silo's one layer (layer 0), every expert on it.
        var routes = new RoutingTable([Enumerable.Range(0, config.Moe.NumExperts)
            .Select(e => new[] { new ReplicaRoute(new ExpertGrainKey(silo.Catalog.Name, LoopbackExpertSilo.Layer, e, 0), silo.Address) })
            .ToArray()]);

        var figures = new List<RowCountFigures>();
        for (var rows = 1; rows <= maxRows; rows *= 2)
        {
            figures.Add(await Measure(rows));
            progress.WriteLine($"{rows} rows: {figures[^1].RoundTrips} round trips");
        }
        await echo.RequestStream.CompleteAsync();
        return new Report(new Conditions(Environment.ProcessorCount, TorchThreads.Configured, silo.Catalog.Name,
            config.HiddenSize, "float32", config.Moe.NumExperts, config.Moe.TopK, WarmupRoundTrips, maxRoundTrips, MaxTimePerRowCount.TotalSeconds), [.. figures]);

        async Task<RowCountFigures> Measure(int rows)
        {
            // [rows, hidden]: the normed rows as attention hands them to dispatch. No dispose scope: they are per thread,
            // and the awaits below resume on others.
            using var hidden = randn(rows, config.HiddenSize);
            var message = Plan(rows, config.Moe.TopK, config.Moe.NumExperts, routes);
            var requestBytes = Encode(hidden, message).CalculateSize();
            var frame = new EchoFrame { Payload = UnsafeByteOperations.UnsafeWrap(new byte[requestBytes]) };
            for (var i = 0; i < WarmupRoundTrips; i++)
            {
                await EchoRoundTrip(frame);
                await DataPlaneRoundTrip(hidden, message);
            }
            var echoes = new List<double>();
            var roundTrips = new List<(double Micros, long ComputeMicros, int ReplyBytes)>();
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < maxRoundTrips && clock.Elapsed < MaxTimePerRowCount; i++)
            {
                // Taking turns at going first, so neither always runs on caches and a connection the other just warmed.
                if (i % 2 == 0) echoes.Add(await EchoRoundTrip(frame));
                roundTrips.Add(await DataPlaneRoundTrip(hidden, message));
                if (i % 2 == 1) echoes.Add(await EchoRoundTrip(frame));
            }
            var echoMicros = Percentiles.Of(echoes);
            var transportMicros = Percentiles.Of(roundTrips.Select(r => r.Micros - r.ComputeMicros));
            return new RowCountFigures(rows, requestBytes, roundTrips[0].ReplyBytes, roundTrips.Count, echoMicros,
                Percentiles.Of(roundTrips.Select(r => r.Micros)), Percentiles.Of(roundTrips.Select(r => (double)r.ComputeMicros)),
                transportMicros, transportMicros.P50 / echoMicros.P50);
        }

        // The message as the gateway encodes it from a layer's rows (their host copy included).
        ExpertBatch Encode(Tensor hidden, SiloMessagePlan message)
        {
            var layer = new LayerBatch(silo.Catalog.Name, 0, LoopbackExpertSilo.Layer, 0, ScalarType.Float32, hidden);
            try
            {
                return ExpertBatchEncoder.Encode(layer, message, "");
            }
            finally
            {
                layer.Release();
            }
        }

        async Task<(double Micros, long ComputeMicros, int ReplyBytes)> DataPlaneRoundTrip(Tensor hidden, SiloMessagePlan message)
        {
            var start = Stopwatch.GetTimestamp();
            var reply = await dataPlane.Send(Encode(hidden, message), CancellationToken.None);
            if (reply.StatusCode != (int)StatusCode.OK)
                throw new InvalidOperationException($"the silo answered {(StatusCode)reply.StatusCode}: {reply.StatusMessage}");
            using var partial = TensorBytes.FromBytes(reply.Partial.Span, [reply.NumRows, reply.HiddenSize], ScalarType.Float32, CPU);
            var micros = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            return (micros, reply.ComputeMicros, reply.CalculateSize());
        }

        async Task<double> EchoRoundTrip(EchoFrame frame)
        {
            var start = Stopwatch.GetTimestamp();
            await echo.RequestStream.WriteAsync(frame);
            if (!await echo.ResponseStream.MoveNext(CancellationToken.None)) throw new InvalidOperationException("the echo stream ended");
            return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
    }

    // Row r's top-k experts are the k consecutive ones from r * k on (mod the number of experts), with equal weights:
    // every expert gets an even share of the slots, as from a balanced router. The production planner makes the message.
    static SiloMessagePlan Plan(int rows, int topK, int numExperts, RoutingTable routes)
    {
        var experts = Enumerable.Range(0, rows * topK).Select(slot => (long)(slot % numExperts)).ToArray();
        var weights = Enumerable.Repeat(1f / topK, rows * topK).ToArray();
        var plan = new DispatchPlanner(0, 0, CapacityPolicy.Defer).Plan(rows, topK, experts, weights, numExperts,
            new LayerRoutes(routes, LoopbackExpertSilo.Layer, new SiloHealth(1, new DispatchCounters())));
        return plan.Rounds.Single().Single();
    }
}
