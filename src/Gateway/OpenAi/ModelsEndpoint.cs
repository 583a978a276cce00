using Rex.Gateway.Api;

namespace Rex.Gateway.OpenAi;

/// <summary>GET /v1/models: the one model this gateway serves.</summary>
public sealed class ModelsEndpoint(GenerationFront front, TimeProvider time)
{
    readonly long created = time.GetUtcNow().ToUnixTimeSeconds();

    public Task Handle(HttpContext context) =>
        context.Response.WriteAsJsonAsync(new ModelList([new ModelCard(front.ModelName, created, front.MaxModelLen)]), OpenAiJson.Api.ModelList,
            cancellationToken: context.RequestAborted);
}
