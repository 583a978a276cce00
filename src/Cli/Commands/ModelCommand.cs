using System.CommandLine;
using Rex.Model.Models;
using Rex.Model.TinyModel;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex model init-tiny --out DIR [--family F]`: write a tiny random checkpoint of a supported family;
/// `rex model download REPO ...`: fetch one from the Hugging Face Hub (<see cref="ModelDownloadCommand"/>).
/// </summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "directory to write the checkpoint into", Required = true };
        var family = new Option<string>("--family")
        {
            Description = $"model family: {string.Join(", ", ModelFamilies.Names)} (dbrx: the built-in model)",
            DefaultValueFactory = _ => BuiltInModel.Family,
        };
        var seed = new Option<long>("--seed") { Description = "seed of the random weights (other families than the built-in model's)", DefaultValueFactory = _ => 1 };
        var initTiny = new Command("init-tiny", "Write a deterministic tiny random checkpoint in a family's Hugging Face layout") { output, family, seed };
        CliAction.Set(initTiny, (parse, writer) =>
        {
            var directory = Path.GetFullPath(parse.GetValue(output)!);
            var name = parse.GetValue(family)!;
            if (!ModelFamilies.Names.Contains(name))
                throw new ArgumentException($"--family '{name}' is not supported; supported: {string.Join(", ", ModelFamilies.Names)}", "--family");
            if (name == BuiltInModel.Family && parse.GetResult(seed) is null) BuiltInModel.Write(directory);
            else TinyModels.Write(directory, name, new RandomCheckpoint.Options { Seed = parse.GetValue(seed) });
            writer.WriteLine(directory);
        });
        return new Command("model", "Model files") { initTiny, ModelDownloadCommand.Create() };
    }
}
