using System.Net;
using System.Net.Sockets;

namespace Rex.Silo.Hosting;

/// <summary>A TCP port free at the moment of asking, for settings left at 0.</summary>
public static class FreePort
{
    public static int Pick()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static int OrPick(int port) => port == 0 ? Pick() : port;
}
