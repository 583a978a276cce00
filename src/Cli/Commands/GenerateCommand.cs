using System.CommandLine;
using Rex.Model.Engine;
using Rex.Model.Sampling;
using Rex.Model.Tokenization;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex generate (--prompt TEXT | --token-ids CSV) [sampling options] [--json]`: local generation with the
/// single-process engine. Greedy unless --temperature is above 0.
/// </summary>
internal static class GenerateCommand
{
    sealed record Report(IReadOnlyList<int> TokenIds, string Text, string FinishReason);

    public static Command Create()
    {
        var model = new ModelOptions();
        var prompt = new Option<string?>("--prompt") { Description = "prompt text (encoded as ordinary text: no special tokens)" };
        var tokenIds = new Option<string?>("--token-ids") { Description = "prompt token ids, comma-separated" };
        var chat = new Option<bool>("--chat") { Description = "wrap --prompt in the model's chat template as a user message" };
        var json = new Option<bool>("--json") { Description = "print {\"token_ids\",\"text\",\"finish_reason\"} as JSON" };
        var sampling = new SamplingOptions();
        var command = new Command("generate", "Generate a continuation with the local engine") { prompt, tokenIds, chat, json };
        model.AddTo(command);
        sampling.AddTo(command);
        command.Validators.Add(result =>
        {
            var hasPrompt = result.GetResult(prompt) is not null;
            var hasIds = result.GetResult(tokenIds) is not null;
            if (hasPrompt == hasIds) result.AddError("give exactly one of --prompt and --token-ids");
            else if (hasIds && result.GetResult(chat) is not null) result.AddError("--chat applies to --prompt, not --token-ids");
        });
        CliAction.Set(command, (parse, output) =>
        {
            using var engine = model.LoadEngine(parse);
            var text = parse.GetValue(prompt);
            int[] ids = text is null
                ? TokenIdList.Parse(parse.GetValue(tokenIds)!, "--token-ids")
                : parse.GetValue(chat)
                    ? new ChatTemplate(engine.Tokenizer).Encode([new ChatMessage("user", text)])
                    : engine.Tokenizer.Encode(text);
            var result = engine.Generate([new GenerationRequest(ids, sampling.Read(parse))])[0];
            output.WriteLine(parse.GetValue(json)
                ? CliJson.Serialize(new Report(result.TokenIds, result.Text, result.FinishReason.ToWireName()))
                : result.Text);
        });
        return command;
    }
}
