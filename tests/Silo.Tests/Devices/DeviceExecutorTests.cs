using Rex.Silo.Devices;
using static TorchSharp.torch;

namespace Rex.Silo.Tests.Devices;

public sealed class DeviceExecutorTests
{
    [Fact]
    public async Task RunsEveryJobOnItsOwnThreadInInferenceMode()
    {
        using var executor = new DeviceExecutor(DeviceSpec.Parse("cpu:3"));
        var threads = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => executor.Run(() => Environment.CurrentManagedThreadId)));
        Assert.Single(threads.Distinct());
        Assert.NotEqual(Environment.CurrentManagedThreadId, threads[0]);
        Assert.Equal("rex-device-cpu:3", await executor.Run(() => Thread.CurrentThread.Name!));
        Assert.True(await executor.Run(() => is_inference_mode_enabled()));
    }

    [Fact]
    public async Task AFailingJobFailsItsTaskAndNotTheExecutor()
    {
        using var executor = new DeviceExecutor(DeviceSpec.Parse("cpu"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => executor.Run(() => throw new InvalidOperationException("boom")));
        Assert.Equal(4, await executor.Run(() => 2 + 2));
    }

    [Fact]
    public async Task JobsAfterDisposeFail()
    {
        var executor = new DeviceExecutor(DeviceSpec.Parse("cpu"));
        executor.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => executor.Run(() => 1));
    }
}
