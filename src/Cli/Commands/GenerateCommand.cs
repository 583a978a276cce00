using System.CommandLine;
using System.Text.Json.Serialization;
using Rex.Client;
using Rex.Model.Engine;
using Rex.Model.Sampling;
using Rex.Model.Tokenization;
using Rex.Protos.Api;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex generate (--prompt TEXT | --token-ids CSV) [--server URL] [sampling options] [--logprobs N] [--json]`: generation with the
/// local single-process engine, or with a Rex server: its text streamed as it is generated (`GenerateStream`), or
/// with --json the whole response (`Generate`). Greedy unless --temperature is above 0.
/// </summary>
internal static class GenerateCommand
{
    sealed record Report(IReadOnlyList<int> TokenIds, string Text, string FinishReason,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<TokenLogprobs.Entry>? Logprobs);

    static Report Local(ReferenceEngine engine, string? text, int[]? ids, bool chat, SamplingParams sampling)
    {
        using (engine)
        {
            var prompt = ids ?? Encode(engine, text!, chat);
            var result = engine.Generate([new GenerationRequest(prompt, sampling)])[0];
            return new Report(result.TokenIds, result.Text, result.FinishReason.ToWireName(),
                sampling.Logprobs is null ? null : TokenLogprobs.FromLocal(result.Logprobs, engine.Tokenizer));
        }
    }

    // On a server the text goes as text, and a chat prompt through Chat, so the server's own tokenizer and template apply.
    static void Remote(RexClient client, string? text, int[]? ids, bool chat, SamplingParams sampling, bool json, TextWriter output)
    {
        var wire = SamplingOptions.ToWire(sampling);
        var chatRequest = chat ? new ChatRequest { Messages = { new Protos.Api.ChatMessage { Role = "user", Content = text! } }, Sampling = wire } : null;
        var generateRequest = new GenerateRequest { Sampling = wire };
        if (ids is null) generateRequest.Text = text!;
        else generateRequest.TokenIds = new TokenIds { Ids = { ids } };
        if (json)
        {
            var response = chatRequest is null ? client.GenerateAsync(generateRequest) : client.ChatAsync(chatRequest);
            output.WriteLine(CliJson.Serialize(Whole(response.GetAwaiter().GetResult(), sampling)));
            return;
        }
        var logprobs = new List<Protos.Api.TokenLogprob>();
        var deltas = chatRequest is null ? client.GenerateStreamAsync(generateRequest) : client.ChatStreamAsync(chatRequest);
        StreamedText.Print(deltas, output, logprobs).GetAwaiter().GetResult();
        if (sampling.Logprobs is not null) TokenLogprobs.Print(TokenLogprobs.FromWire(logprobs), output);
    }

    static Report Whole(GenerateResponse response, SamplingParams sampling) => new([.. response.TokenIds], response.Text, response.FinishReason,
        sampling.Logprobs is null ? null : TokenLogprobs.FromWire(response.Logprobs));

    static int[] Encode(ReferenceEngine engine, string text, bool chat)
    {
        if (!chat)
            return (engine.Tokenizer ?? throw new ArgumentException("--prompt: the model has no tokenizer (no tokenizer.json): give --token-ids", "--prompt"))
                .Encode(text);
        var template = engine.Chat ?? throw new ArgumentException("--chat: the model has no chat template (tokenizer_config.json's chat_template)", "--chat");
        return template.Encode([new Model.Tokenization.ChatMessage("user", text)]);
    }

    public static Command Create()
    {
        var model = new ModelOptions();
        var prompt = new Option<string?>("--prompt") { Description = "prompt text (encoded as ordinary text: no special tokens)" };
        var tokenIds = new Option<string?>("--token-ids") { Description = "prompt token ids, comma-separated" };
        var chat = new Option<bool>("--chat") { Description = "wrap --prompt in the model's chat template as a user message" };
        var json = new Option<bool>("--json") { Description = "print {\"token_ids\",\"text\",\"finish_reason\"} (and with --logprobs \"logprobs\") as JSON" };
        var logprobs = new Option<int?>("--logprobs")
        {
            Description = $"also print each token's log-probability and the N (0..{SamplingParams.MaxLogprobs}) most likely tokens at its position",
        };
        var server = new Option<string?>(UnreachableServer.ServerOption) { Description = "a Rex gateway (http://host:port) instead of the local engine; the text streams" };
        var sampling = new SamplingOptions();
        var apiKey = new ApiKeyOption();
        var command = new Command("generate", "Generate a continuation with the local engine or on a server") { prompt, tokenIds, chat, json, logprobs, server };
        model.AddTo(command);
        model.AddDeviceTo(command);
        sampling.AddTo(command);
        apiKey.AddTo(command);
        command.Validators.Add(result =>
        {
            var hasPrompt = result.GetResult(prompt) is not null;
            var hasIds = result.GetResult(tokenIds) is not null;
            if (hasPrompt == hasIds) result.AddError("give exactly one of --prompt and --token-ids");
            else if (hasIds && result.GetResult(chat) is not null) result.AddError("--chat applies to --prompt, not --token-ids");
        });
        CliAction.Set(command, (parse, output) =>
        {
            var text = parse.GetValue(prompt);
            var ids = text is null ? TokenIdList.Parse(parse.GetValue(tokenIds)!, "--token-ids") : null;
            var samplingParams = sampling.Read(parse) with { Logprobs = parse.GetValue(logprobs) };
            if (parse.GetValue(server) is not { } address)
            {
                var report = Local(model.LoadEngine(parse), text, ids, parse.GetValue(chat), samplingParams);
                if (parse.GetValue(json))
                {
                    output.WriteLine(CliJson.Serialize(report));
                    return;
                }
                output.WriteLine(report.Text);
                if (report.Logprobs is not null) TokenLogprobs.Print(report.Logprobs, output);
                return;
            }
            using var client = new RexClient(apiKey.ClientOptions(parse, address));
            Remote(client, text, ids, parse.GetValue(chat), samplingParams, parse.GetValue(json), output);
        });
        return command;
    }
}
