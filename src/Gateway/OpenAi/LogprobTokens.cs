using Rex.Gateway.Api;
using Rex.Protos.Grains;

namespace Rex.Gateway.OpenAi;

/// <summary>
/// The engine's logprobs in OpenAI's two shapes, each token named by its text with special tokens spelled out (as
/// vLLM names them); a token that is part of a UTF-8 character reads as U+FFFD, its bytes say which part.
/// </summary>
public sealed class LogprobTokens(GenerationFront front)
{
    /// <param name="textOffset">Where the first token starts in the completion's text; moved past the last.</param>
    public CompletionLogprobs Completion(WireLogprob[] logprobs, ref int textOffset)
    {
        var tokens = new string[logprobs.Length];
        var values = new float[logprobs.Length];
        var top = new Dictionary<string, float>[logprobs.Length];
        var offsets = new int[logprobs.Length];
        for (var i = 0; i < logprobs.Length; i++)
        {
            var logprob = logprobs[i];
            tokens[i] = Text(logprob.TokenId);
            values[i] = logprob.Logprob;
            offsets[i] = textOffset;
            textOffset += tokens[i].Length;
            top[i] = new Dictionary<string, float>(logprob.TopIds.Length);
            // Two ids with the same text keep the likelier (listed first), as OpenAI's map shape allows only one.
            for (var j = 0; j < logprob.TopIds.Length; j++) top[i].TryAdd(Text(logprob.TopIds[j]), logprob.TopLogprobs[j]);
        }
        return new CompletionLogprobs(tokens, values, top, offsets);
    }

    public ChatLogprobs Chat(WireLogprob[] logprobs)
    {
        var content = new ChatTokenLogprob[logprobs.Length];
        for (var i = 0; i < logprobs.Length; i++)
        {
            var logprob = logprobs[i];
            var top = new ChatTopLogprob[logprob.TopIds.Length];
            for (var j = 0; j < top.Length; j++) top[j] = new ChatTopLogprob(Text(logprob.TopIds[j]), logprob.TopLogprobs[j], Bytes(logprob.TopIds[j]));
            content[i] = new ChatTokenLogprob(Text(logprob.TokenId), logprob.Logprob, Bytes(logprob.TokenId), top);
        }
        return new ChatLogprobs(content);
    }

    string Text(int id) => front.TokenText(id);

    /// <summary>OpenAI sends bytes as a list of numbers (System.Text.Json would write a byte[] as base64).</summary>
    int[] Bytes(int id)
    {
        var bytes = front.TokenBytes(id);
        var numbers = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) numbers[i] = bytes[i];
        return numbers;
    }
}
