using System.Text;
using Grpc.Core;
using Rex.Protos.Api;

namespace Rex.Client;

/// <summary>
/// What a streamed generation has delivered to the caller, so that a stream whose gateway was lost can be started
/// again (on another gateway behind the same address) and pass on only what is new. The restarted generation
/// replays what was delivered; every replayed token and character must match, else the stream fails with
/// UNAVAILABLE rather than hand the caller a different continuation.
/// </summary>
internal sealed class DeliveredStream
{
    readonly List<int> tokens = [];
    readonly StringBuilder text = new();
    int replayedTokens;
    int replayedChars;

    public bool IsEmpty => tokens.Count == 0 && text.Length == 0;

    /// <summary>A restarted generation begins again from its first token.</summary>
    public void Restart() => (replayedTokens, replayedChars) = (0, 0);

    /// <summary>The part of a message not delivered before, or null when it held nothing new.</summary>
    public GenerateStreamResponse? Next(GenerateStreamResponse message)
    {
        var skipTokens = Math.Min(tokens.Count - replayedTokens, message.TokenIds.Count);
        var skipChars = Math.Min(text.Length - replayedChars, message.Text.Length);
        for (var i = 0; i < skipTokens; i++)
            if (message.TokenIds[i] != tokens[replayedTokens + i])
                throw Diverged($"token {replayedTokens + i} is {message.TokenIds[i]}, not the {tokens[replayedTokens + i]} delivered");
        if (!message.Text.AsSpan(0, skipChars).SequenceEqual(text.ToString(replayedChars, skipChars)))
            throw Diverged($"the text from character {replayedChars} differs from what was delivered");
        replayedTokens += skipTokens;
        replayedChars += skipChars;
        if (skipTokens == 0 && skipChars == 0) return Delivered(message);
        if (skipTokens == message.TokenIds.Count && skipChars == message.Text.Length && message.FinishReason.Length == 0) return null;
        var fresh = message.Clone();
        fresh.TokenIds.Clear();
        fresh.TokenIds.Add(message.TokenIds.Skip(skipTokens));
        fresh.Text = message.Text[skipChars..];
        fresh.Logprobs.Clear();
        fresh.Logprobs.Add(message.Logprobs.Skip(Math.Min(skipTokens, message.Logprobs.Count)));
        return Delivered(fresh);
    }

    GenerateStreamResponse Delivered(GenerateStreamResponse message)
    {
        tokens.AddRange(message.TokenIds);
        text.Append(message.Text);
        (replayedTokens, replayedChars) = (tokens.Count, text.Length);
        return message;
    }

    static RpcException Diverged(string how) => new(new Status(StatusCode.Unavailable,
        $"the stream's gateway was lost and the restarted generation differs from what was delivered ({how}); start the request again"));
}
