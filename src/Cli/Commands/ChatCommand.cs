using System.CommandLine;
using Rex.Client;
using Rex.Protos.Api;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex chat --server URL [--system TEXT] [sampling options]`: a conversation with a model on a Rex server. Each
/// line read from stdin is a user turn; the whole conversation goes to `ChatStream` and the reply streams to stdout
/// and joins the conversation. Ends at end of input or on a line `/exit`.
/// </summary>
internal static class ChatCommand
{
    const string Exit = "/exit";

    public static Command Create()
    {
        var server = new Option<string>(UnreachableServer.ServerOption) { Description = "the Rex gateway, e.g. http://127.0.0.1:50051", Required = true };
        var system = new Option<string?>("--system") { Description = "a system message that opens the conversation" };
        var sampling = new SamplingOptions();
        var apiKey = new ApiKeyOption();
        var command = new Command("chat", $"Chat with a server's model: one user turn per line of stdin, {Exit} or end of input to quit") { server, system };
        sampling.AddTo(command);
        apiKey.AddTo(command);
        CliAction.Set(command, (parse, output) =>
        {
            using var client = new RexClient(apiKey.ClientOptions(parse, parse.GetValue(server)!));
            var conversation = new ChatRequest { Sampling = SamplingOptions.ToWire(sampling.Read(parse)) };
            if (parse.GetValue(system) is { Length: > 0 } text) conversation.Messages.Add(new ChatMessage { Role = "system", Content = text });
            // The prompt marker goes to stderr, and only for a person typing, so piped replies stay clean.
            var prompt = Console.IsInputRedirected ? null : parse.InvocationConfiguration.Error;
            Converse(client, conversation, Console.In, output, prompt).GetAwaiter().GetResult();
        });
        return command;
    }

    static async Task Converse(RexClient client, ChatRequest conversation, TextReader input, TextWriter output, TextWriter? prompt)
    {
        while (true)
        {
            prompt?.Write("> ");
            var line = await input.ReadLineAsync();
            if (line is null || line.Trim() == Exit) return;
            if (string.IsNullOrWhiteSpace(line)) continue;
            conversation.Messages.Add(new ChatMessage { Role = "user", Content = line });
            var reply = await StreamedText.Print(client.ChatStreamAsync(conversation), output);
            conversation.Messages.Add(new ChatMessage { Role = "assistant", Content = reply });
        }
    }
}
