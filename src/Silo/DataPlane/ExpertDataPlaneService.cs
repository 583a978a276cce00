using Grpc.Core;
using Rex.Protos.DataPlane;

namespace Rex.Silo.DataPlane;

/// <summary>
/// The silo end of the data plane: reads a gateway's batches off its stream and answers each as soon as it is
/// computed, so batches of several layers and micro-batches overlap on one stream.
/// </summary>
public sealed class ExpertDataPlaneService(ExpertBatchRunner runner, DataPlaneShutdown shutdown, DataPlaneSecret secret) : ExpertDataPlane.ExpertDataPlaneBase
{
    public override async Task Exchange(IAsyncStreamReader<ExpertBatch> requestStream, IServerStreamWriter<ExpertPartial> responseStream,
        ServerCallContext context)
    {
        if (!secret.IsAuthorized(context.RequestHeaders.GetValue(DataPlaneSecret.Header)))
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"{DataPlaneSecret.Header}: this silo's data plane needs the cluster's DataPlaneSecret"));
        using var writeGate = new SemaphoreSlim(1, 1);
        using var open = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, shutdown.Token);
        var inFlight = new List<Task>();
        try
        {
            await foreach (var batch in requestStream.ReadAllAsync(open.Token))
            {
                inFlight.RemoveAll(t => t.IsCompleted);
                inFlight.Add(Answer(batch));
            }
        }
        catch (OperationCanceledException) when (shutdown.Token.IsCancellationRequested)
        {
            // The silo is stopping: finish what was read, then end the stream.
        }
        finally
        {
            // Also when the gateway's stream broke: answers still running must end before their write gate goes.
            await Task.WhenAll(inFlight.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        }

        async Task Answer(ExpertBatch batch)
        {
            var partial = await runner.Run(batch);
            await writeGate.WaitAsync(context.CancellationToken);
            try
            {
                await responseStream.WriteAsync(partial, context.CancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
            {
                // The gateway is gone; the reply has no one to go to.
            }
            finally
            {
                writeGate.Release();
            }
        }
    }
}
