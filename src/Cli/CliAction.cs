using System.CommandLine;
using Grpc.Core;
using Rex.Gateway.Api;
using Rex.Model.Checkpoint;
using Rex.Model.Config;

namespace Rex.Cli;

/// <summary>
/// Runs a command body, turning the errors a user can cause (bad arguments, bad model files) into one
/// `error: ...` line on stderr and exit code 1 instead of a stack trace; a server that cannot be reached is named
/// with its address (<see cref="UnreachableServer"/>).
/// </summary>
internal static class CliAction
{
    public static void Set(Command command, Action<ParseResult, TextWriter> body) =>
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            try
            {
                body(parse, output);
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or ModelConfigException or CheckpointException or IOException or InvalidOperationException)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {(e is ArgumentException argument ? ApiErrors.Describe(argument) : e.Message)}");
                return 1;
            }
            catch (RpcException e) when (UnreachableServer.Describe(e, parse) is { } unreachable)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {unreachable}");
                return 1;
            }
            catch (RpcException e)
            {
                var hint = e.StatusCode == StatusCode.Unauthenticated ? $" ({ApiKeyOption.Hint})" : "";
                parse.InvocationConfiguration.Error.WriteLine($"error: {e.StatusCode}: {e.Status.Detail}{hint}");
                return 1;
            }
        });
}
