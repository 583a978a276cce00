using Rex.Protos.Api;

namespace Rex.Client;

/// <summary>
/// Shorthands over <see cref="RexClient"/> for the common case: a prompt string or a list of messages, optional
/// sampling parameters (unset ones take the server's defaults: greedy, 16 tokens), the gateway's only model.
/// </summary>
public static class RexClientExtensions
{
    /// <summary>Generates a completion of <paramref name="prompt"/>, encoded as ordinary text.</summary>
    public static Task<GenerateResponse> GenerateAsync(this RexClient client, string prompt, SamplingParameters? sampling = null,
        CancellationToken cancellationToken = default) =>
        client.GenerateAsync(Prompt(prompt, sampling), cancellationToken);

    /// <summary>Streams a completion of <paramref name="prompt"/>, encoded as ordinary text.</summary>
    public static IAsyncEnumerable<GenerateStreamResponse> GenerateStreamAsync(this RexClient client, string prompt,
        SamplingParameters? sampling = null, CancellationToken cancellationToken = default) =>
        client.GenerateStreamAsync(Prompt(prompt, sampling), cancellationToken);

    /// <summary>The assistant's reply to <paramref name="messages"/> (roles "system", "user", "assistant").</summary>
    public static Task<GenerateResponse> ChatAsync(this RexClient client, IEnumerable<ChatMessage> messages, SamplingParameters? sampling = null,
        CancellationToken cancellationToken = default) =>
        client.ChatAsync(Conversation(messages, sampling), cancellationToken);

    /// <summary>The assistant's reply to <paramref name="messages"/>, streamed.</summary>
    public static IAsyncEnumerable<GenerateStreamResponse> ChatStreamAsync(this RexClient client, IEnumerable<ChatMessage> messages,
        SamplingParameters? sampling = null, CancellationToken cancellationToken = default) =>
        client.ChatStreamAsync(Conversation(messages, sampling), cancellationToken);

    /// <summary>The token ids of <paramref name="text"/> encoded as ordinary text.</summary>
    public static async Task<IReadOnlyList<int>> TokenizeAsync(this RexClient client, string text, CancellationToken cancellationToken = default) =>
        (await client.TokenizeAsync(new TokenizeRequest { Text = text }, cancellationToken)).TokenIds;

    /// <summary>The text of <paramref name="tokenIds"/>.</summary>
    public static async Task<string> DetokenizeAsync(this RexClient client, IEnumerable<int> tokenIds, CancellationToken cancellationToken = default) =>
        (await client.DetokenizeAsync(new DetokenizeRequest { TokenIds = { tokenIds } }, cancellationToken)).Text;

    static GenerateRequest Prompt(string prompt, SamplingParameters? sampling) =>
        new() { Text = prompt, Sampling = sampling ?? new SamplingParameters() };

    static ChatRequest Conversation(IEnumerable<ChatMessage> messages, SamplingParameters? sampling) =>
        new() { Messages = { messages }, Sampling = sampling ?? new SamplingParameters() };
}
