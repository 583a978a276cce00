using Grpc.Core;
using Rex.Gateway.Dispatch;
using Rex.Protos.DataPlane;
using Rex.Silo.DataPlane;

namespace Rex.Gateway.Tests.Dispatch;

/// <summary>The gateway's stream to one silo, against a real gRPC server whose replies each test writes.</summary>
public sealed class SiloChannelTests : IAsyncLifetime
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    ScriptedDataPlane silo = null!;
    SiloChannel channel = null!;
    int numAnswered;

    public async Task InitializeAsync()
    {
        silo = await ScriptedDataPlane.Start();
        channel = new SiloChannel(silo.Address, new DataPlaneSecret(""), certificates: null, address =>
        {
            Assert.Equal(silo.Address, address);
            Interlocked.Increment(ref numAnswered);
        });
    }

    public async Task DisposeAsync()
    {
        await channel.DisposeAsync();
        await silo.DisposeAsync();
    }

    Task<ExpertBatch> NextReceived() => silo.Received.ReadAsync().AsTask().WaitAsync(Wait);

    [Fact]
    public async Task RepliesAreMatchedToTheirSendsByRequestIdInWhateverOrderTheyCome()
    {
        var first = channel.Send(new ExpertBatch { NumRows = 1 }, CancellationToken.None);
        var firstReceived = await NextReceived();
        var second = channel.Send(new ExpertBatch { NumRows = 2 }, CancellationToken.None);
        var secondReceived = await NextReceived();

        await silo.Answer(secondReceived);
        Assert.Equal(2, (await second.WaitAsync(Wait)).NumRows);
        Assert.False(first.IsCompleted);
        await silo.Answer(firstReceived);
        Assert.Equal(1, (await first.WaitAsync(Wait)).NumRows);

        Assert.NotEqual(firstReceived.RequestId, secondReceived.RequestId);
        Assert.Equal(1, silo.NumStreams); // both on the one stream
        Assert.Equal(2, numAnswered);
    }

    [Fact]
    public async Task ACallerThatStopsWaitingIsCancelledAndItsLateReplyStillSaysTheSiloAnswered()
    {
        using var stop = new CancellationTokenSource();
        var abandoned = channel.Send(new ExpertBatch { NumRows = 3 }, stop.Token);
        var late = await NextReceived();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned.WaitAsync(Wait));

        await silo.Answer(late);
        // The stream outlives the abandoned wait: the next send's reply comes back on it, after the late one.
        var next = channel.Send(new ExpertBatch { NumRows = 4 }, CancellationToken.None);
        await silo.Answer(await NextReceived());
        Assert.Equal(4, (await next.WaitAsync(Wait)).NumRows);
        Assert.Equal(2, numAnswered);
        Assert.Equal(1, silo.NumStreams);
    }

    [Fact]
    public async Task ABrokenStreamFailsWhatIsOwedOnItWithUnavailableAndTheNextSendOpensAnother()
    {
        var owed = channel.Send(new ExpertBatch { NumRows = 1 }, CancellationToken.None);
        await NextReceived();

        silo.Break();

        var error = await Assert.ThrowsAsync<RpcException>(() => owed.WaitAsync(Wait));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains($"data plane {silo.Address}", error.Status.Detail);
        var next = channel.Send(new ExpertBatch { NumRows = 5 }, CancellationToken.None);
        await silo.Answer(await NextReceived());
        Assert.Equal(5, (await next.WaitAsync(Wait)).NumRows);
        Assert.Equal(2, silo.NumStreams);
    }
}
