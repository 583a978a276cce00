using System.Net;
using System.Net.Sockets;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// A Kubernetes Service in miniature: one loopback port whose every new connection goes to the next backend in turn
/// that accepts it (kube-proxy sends only to live endpoints; here a backend whose port refuses is skipped). Bytes are
/// copied both ways; when either side closes or breaks, both are closed, as a client sees its pod die.
/// </summary>
internal sealed class ServiceProxy : IAsyncDisposable
{
    readonly TcpListener listener = new(IPAddress.Loopback, 0);
    readonly Uri[] backends;
    readonly CancellationTokenSource stopping = new();
    readonly Task accepting;
    readonly int[] connections;
    int next;

    ServiceProxy(IEnumerable<string> backends)
    {
        this.backends = [.. backends.Select(b => new Uri(b))];
        connections = new int[this.backends.Length];
        listener.Start();
        accepting = Accept(stopping.Token);
    }

    public static ServiceProxy Start(IEnumerable<string> backends) => new(backends);

    public string Address => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>Connections sent to each backend so far.</summary>
    public IReadOnlyList<int> Connections => [.. connections];

    async Task Accept(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken);
                _ = Serve(client, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopping.
        }
    }

    async Task Serve(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        using (var backend = await Connect(cancellationToken))
        {
            if (backend is null) return;
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var up = Copy(client.GetStream(), backend.GetStream(), either);
            var down = Copy(backend.GetStream(), client.GetStream(), either);
            // Either copy ending cancels the other.
            await Task.WhenAll(up, down);
        }
    }

    async Task<TcpClient?> Connect(CancellationToken cancellationToken)
    {
        for (var tried = 0; tried < backends.Length; tried++)
        {
            var index = (int)((uint)Interlocked.Increment(ref next) % backends.Length);
            var backend = new TcpClient();
            try
            {
                await backend.ConnectAsync(backends[index].Host, backends[index].Port, cancellationToken);
                Interlocked.Increment(ref connections[index]);
                return backend;
            }
            catch (SocketException)
            {
                backend.Dispose();
            }
        }
        return null;
    }

    static async Task Copy(NetworkStream from, NetworkStream to, CancellationTokenSource either)
    {
        try
        {
            await from.CopyToAsync(to, either.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // One side closed or broke: the connection is over.
        }
        finally
        {
            await either.CancelAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await accepting;
        stopping.Dispose();
    }
}
