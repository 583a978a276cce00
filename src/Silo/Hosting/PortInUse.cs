using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Rex.Silo.Hosting;

/// <summary>
/// Whether a TCP port can be listened on, and if not, which process holds it: a port conflict is a user's to fix,
/// and "address already in use" with a stack trace does not say by whom or with which setting.
/// </summary>
public static class PortInUse
{
    /// <summary>
    /// The first of a program's listening settings whose fixed port another process holds, as one sentence that names
    /// the holder and the setting to change; null when all are free (or left at 0, for a free one).
    /// </summary>
    public static string? FirstConflict(params (string Setting, string Host, int Port)[] listeners)
    {
        foreach (var (setting, host, port) in listeners)
            if (port > 0 && IPAddress.TryParse(host, out var address) && Check(address, port) is { } conflict)
                return $"{conflict}: stop it, or set {setting} to another port (--{setting}=N; 0 picks a free one)";
        return null;
    }

    /// <summary>
    /// Null when <paramref name="port"/> is free on <paramref name="host"/> (or cannot be tried here: the server's own
    /// error will say why); else a sentence naming the port and, where
    /// this system says (Linux's /proc, for a process this user may inspect), the process listening on it.
    /// </summary>
    public static string? Check(IPAddress host, int port)
    {
        try
        {
            using var listener = new TcpListener(host, port);
            listener.Start();
            return null;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            var owner = ListeningProcess(port);
            return $"port {port} on {host} is {(e.SocketErrorCode == SocketError.AccessDenied ? "not open to this user" : "in use")}" +
                (owner is null ? "" : $" by {owner}");
        }
        catch (SocketException)
        {
            return null;
        }
    }

    // "pid N (command line)" of the process with a listening socket on the port, from /proc/net/tcp{,6} (the socket's
    // inode) and /proc/PID/fd (whose links name it); null where either cannot be read.
    static string? ListeningProcess(int port)
    {
        var inodes = new HashSet<string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st ... inode: the local address is HEX_IP:HEX_PORT, state 0A is LISTEN.
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10 || fields[3] != "0A") continue;
                var local = fields[1];
                if (int.Parse(local[(local.IndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                    inodes.Add($"socket:[{fields[9]}]");
            }
        }
        if (inodes.Count == 0) return null;
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(process), out var pid)) continue;
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(process, "fd")))
                {
                    if (new FileInfo(fd).LinkTarget is not { } target || !inodes.Contains(target)) continue;
                    // Arguments are separated by NULs and may hold newlines: one line, words separated by single spaces.
                    var command = string.Join(' ', File.ReadAllText(Path.Combine(process, "cmdline"))
                        .Split(['\0', ' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
                    return $"pid {pid} ({(command.Length > 120 ? command[..120] + "..." : command)})";
                }
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                // Another user's process, or one that ended meanwhile.
            }
        }
        return null;
    }
}
