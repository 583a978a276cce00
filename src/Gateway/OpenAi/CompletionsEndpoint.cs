using Rex.Gateway.Api;

namespace Rex.Gateway.OpenAi;

/// <summary>POST /v1/completions: a prompt (text or token ids) continued, answered whole or as server-sent events.</summary>
public sealed class CompletionsEndpoint(GenerationFront front, LogprobTokens logprobTokens, TimeProvider time)
{
    public async Task Handle(HttpContext context)
    {
        var request = await JsonBody.Read(context, OpenAiJson.Api.CompletionRequest);
        request.Check(front);
        var format = new CompletionFormat(front.ModelName, time.GetUtcNow().ToUnixTimeSeconds(), request.Logprobs is null ? null : logprobTokens);
        await GenerationAnswer.Send(context, front, request, request.PromptIds(front), request.Logprobs, format);
    }
}
