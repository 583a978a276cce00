using System.CommandLine;
using System.Net.Http;
using System.Net.Sockets;
using Grpc.Core;

namespace Rex.Cli;

/// <summary>
/// Names a server the client never reached: gRPC reports a refused connection as UNAVAILABLE "Error connecting to
/// subchannel", which says neither where it tried nor why, while the server's own UNAVAILABLE (no expert silo) comes
/// with a detail worth printing as it is. Only a failure on the client's side of the connection, a socket error
/// in the status' debug exception, counts as unreachable.
/// </summary>
internal static class UnreachableServer
{
    /// <summary>The option every command that calls a server takes its address from.</summary>
    public const string ServerOption = "--server";

    /// <summary>One line naming the address and the reason, or null when the server was reached.</summary>
    public static string? Describe(RpcException e, ParseResult parse)
    {
        if (e.StatusCode != StatusCode.Unavailable) return null;
        var socket = Causes(e.Status.DebugException).OfType<SocketException>().FirstOrDefault();
        if (socket is null && !Causes(e.Status.DebugException).OfType<HttpRequestException>().Any()) return null;
        var address = Address(parse) ?? "the server";
        return socket?.SocketErrorCode == SocketError.ConnectionRefused
            ? $"cannot reach {address}: nothing listens there (connection refused); is the Rex gateway running, and on that port?"
            : $"cannot reach {address}: {socket?.Message ?? e.Status.Detail}";
    }

    static IEnumerable<Exception> Causes(Exception? e)
    {
        for (; e is not null; e = e.InnerException) yield return e;
    }

    static string? Address(ParseResult parse) =>
        parse.CommandResult.Command.Options.FirstOrDefault(o => o.Name == ServerOption) is { } option
            ? parse.GetResult(option)?.Tokens.FirstOrDefault()?.Value
            : null;
}
