using System.CommandLine;
using Rex.Model.TinyModel;

namespace Rex.Cli.Commands;

/// <summary>`rex model init-tiny --out DIR`: write the built-in tiny DBRX-format checkpoint.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "directory to write the checkpoint into", Required = true };
        var initTiny = new Command("init-tiny", "Write the deterministic tiny DBRX-format checkpoint Rex uses by default") { output };
        CliAction.Set(initTiny, (parse, writer) =>
        {
            var directory = Path.GetFullPath(parse.GetValue(output)!);
            BuiltInModel.Write(directory);
            writer.WriteLine(directory);
        });
        return new Command("model", "Model files") { initTiny };
    }
}
