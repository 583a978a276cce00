using System.Collections.Concurrent;
using Rex.Model.Tensors;
using static TorchSharp.torch;

namespace Rex.Silo.Devices;

/// <summary>
/// The one thread that runs tensor work for one device. TorchSharp's dispose scopes and inference mode are
/// per thread, so grains and gRPC handlers never touch tensors on their own threads: they hand a job here and
/// await its result. The thread stays in inference mode for its whole life.
/// </summary>
public sealed class DeviceExecutor : IDisposable
{
    readonly BlockingCollection<Action> jobs = new();
    readonly Thread thread;

    public DeviceExecutor(DeviceSpec spec)
    {
        Spec = spec;
        thread = new Thread(Loop) { IsBackground = true, Name = $"rex-device-{spec.Name}" };
        thread.Start();
    }

    public DeviceSpec Spec { get; }

    public Device Device => Spec.Device;

    public Task<T> Run<T>(Func<T> job)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            jobs.Add(() =>
            {
                try
                {
                    result.SetResult(job());
                }
                catch (Exception e)
                {
                    result.SetException(e);
                }
            });
        }
        catch (InvalidOperationException)
        {
            result.SetException(new ObjectDisposedException($"device executor {Spec.Name}"));
        }
        return result.Task;
    }

    public Task Run(Action job) => Run(() =>
    {
        job();
        return true;
    });

    void Loop()
    {
        TorchThreads.ApplyToCurrentThread();
        using var inference = inference_mode();
        foreach (var job in jobs.GetConsumingEnumerable()) job();
    }

    /// <summary>Finishes the queued jobs, then stops the thread.</summary>
    public void Dispose()
    {
        jobs.CompleteAdding();
        if (Thread.CurrentThread != thread) thread.Join();
        jobs.Dispose();
    }
}
