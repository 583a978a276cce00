using Rex.Gateway.Api;

namespace Rex.Gateway.OpenAi;

/// <summary>GET /v1/models: the one model this gateway serves; GET /v1/models/{id}: that model alone, or 404 for any other id.</summary>
public sealed class ModelsEndpoint(GenerationFront front, TimeProvider time)
{
    readonly long created = time.GetUtcNow().ToUnixTimeSeconds();

    ModelCard Served => new(front.ModelName, created, front.MaxModelLen);

    public Task List(HttpContext context) =>
        context.Response.WriteAsJsonAsync(new ModelList([Served]), OpenAiJson.Api.ModelList, cancellationToken: context.RequestAborted);

    /// <param name="id">The rest of the path, so an id holding '/' (as Hugging Face names do, "org/model") is one id.</param>
    public Task Retrieve(HttpContext context, string id) => id == front.ModelName
        ? context.Response.WriteAsJsonAsync(Served, OpenAiJson.Api.ModelCard, cancellationToken: context.RequestAborted)
        : throw front.NotServed(id);
}
