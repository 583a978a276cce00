using Grpc.Core;
using Rex.Cli.Bench.Echo;

namespace Rex.Cli.Bench;

/// <summary>Sends every frame back on the stream it came in on, as it is read.</summary>
internal sealed class TransportEchoService : TransportEcho.TransportEchoBase
{
    public override async Task Echo(IAsyncStreamReader<EchoFrame> requestStream, IServerStreamWriter<EchoFrame> responseStream,
        ServerCallContext context)
    {
        await foreach (var frame in requestStream.ReadAllAsync(context.CancellationToken))
            await responseStream.WriteAsync(frame, context.CancellationToken);
    }
}
