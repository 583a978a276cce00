using Rex.Gateway.Api;

namespace Rex.Gateway.OpenAi;

/// <summary>POST /v1/chat/completions: the assistant's reply to a conversation through the chat template, whole or as server-sent events.</summary>
public sealed class ChatCompletionsEndpoint(GenerationFront front, LogprobTokens logprobTokens, TimeProvider time)
{
    public async Task Handle(HttpContext context)
    {
        var request = await JsonBody.Read(context, OpenAiJson.Api.ChatCompletionRequest);
        request.Check(front);
        var format = new ChatFormat(front.ModelName, time.GetUtcNow().ToUnixTimeSeconds(), request.IsLogprobs ? logprobTokens : null);
        var prompt = front.EncodeChat(request.Conversation(), "messages");
        try
        {
            await GenerationAnswer.Send(context, front, request, prompt, request.NumLogprobs, format);
        }
        catch (ArgumentException error) when (ChatField(error.ParamName) is { } field)
        {
            throw ApiErrors.Renamed(error, field);
        }
    }

    /// <summary>The engine names the prompt and the count of alternatives as the completions API does.</summary>
    static string? ChatField(string? engineField) => engineField switch
    {
        "prompt" => "messages",
        "logprobs" => "top_logprobs",
        _ => null,
    };
}
