using System.CommandLine;
using Rex.Gateway.Hosting;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex serve [--Rex:NAME=VALUE]...`: the gateway program in this process (<see cref="GatewayHost"/>), so the
/// installed tool serves as `dotnet run --project src/Gateway` does; every argument after `serve` is the gateway's
/// configuration, as that program takes it.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve",
            "Serve a model: a gateway and, by default, its expert grains in this process (the gateway program); " +
            "settings as --Rex:NAME=VALUE, REX_NAME variables or appsettings.json")
        {
            // The settings are the gateway's, not options of this command: they pass through unparsed.
            TreatUnmatchedTokensAsErrors = false,
        };
        CliAction.Set(command, (parse, _) => GatewayHost.RunAsync([.. parse.UnmatchedTokens]).GetAwaiter().GetResult());
        return command;
    }
}
