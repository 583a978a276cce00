using System.Globalization;
using System.Net;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// The TCP addresses a process listens on, read as `ss -ltnp` would: the LISTEN rows of /proc/PID/net/tcp and tcp6
/// (every socket of the network namespace) whose inode is one of the process's open file descriptors.
/// </summary>
public static class ListeningSockets
{
    const string Listen = "0A";

    public static IReadOnlyList<IPEndPoint> Of(int pid)
    {
        var inodes = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Where(target => target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            .Select(target => target![8..^1])
            .ToHashSet();
        string[] tables = ["tcp", "tcp6"];
        return tables
            .SelectMany(table => File.ReadLines($"/proc/{pid}/net/{table}").Skip(1))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(row => row[3] == Listen && inodes.Contains(row[9]))
            .Select(row => Parse(row[1]))
            .ToArray();
    }

    // "0100007F:1F90" (IPv4) or 32 hex digits (IPv6): each 32-bit word in the host's (little-endian) order, port big-endian.
    static IPEndPoint Parse(string local)
    {
        var (address, port) = (local.Split(':')[0], int.Parse(local.Split(':')[1], NumberStyles.HexNumber));
        var bytes = Enumerable.Range(0, address.Length / 8)
            .SelectMany(word => BitConverter.GetBytes(uint.Parse(address.AsSpan(word * 8, 8), NumberStyles.HexNumber)))
            .ToArray();
        return new IPEndPoint(new IPAddress(bytes), port);
    }
}
