using System.CommandLine;

namespace Rex.Cli.Commands;

/// <summary>`rex logits --model DIR --token-ids 1,2,3 [--top K]`: top logits at every prompt position, as JSON.</summary>
internal static class LogitsCommand
{
    sealed record Position(int[] TopIds, float[] TopLogits);

    sealed record Report(Position[] Positions);

    public static Command Create()
    {
        var model = new ModelOptions();
        var tokenIds = new Option<string>("--token-ids") { Description = "prompt token ids, comma-separated", Required = true };
        var top = new Option<int>("--top") { Description = "how many of the highest logits to print per position", DefaultValueFactory = _ => 10 };
        var command = new Command("logits", "Print the top logits at every position of a full causal forward pass") { tokenIds, top };
        model.AddTo(command);
        model.AddDeviceTo(command);
        CliAction.Set(command, (parse, output) =>
        {
            var ids = TokenIdList.Parse(parse.GetValue(tokenIds)!, "--token-ids");
            using var engine = model.LoadEngine(parse);
            var positions = engine.PromptTopLogits(ids, parse.GetValue(top))
                .Select(p => new Position(p.Ids, p.Logits))
                .ToArray();
            output.WriteLine(CliJson.Serialize(new Report(positions)));
        });
        return command;
    }
}
