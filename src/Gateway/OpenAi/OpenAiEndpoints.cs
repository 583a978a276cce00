using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Rex.Gateway.OpenAi;

/// <summary>The OpenAI-compatible HTTP API (as vLLM serves it): /v1/models (and /v1/models/{id}), /v1/completions, /v1/chat/completions, /health.</summary>
public static class OpenAiEndpoints
{
    public static IServiceCollection AddOpenAiApi(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<OpenAiCall>();
        services.AddSingleton<LogprobTokens>();
        services.AddSingleton<ModelsEndpoint>();
        services.AddSingleton<CompletionsEndpoint>();
        services.AddSingleton<ChatCompletionsEndpoint>();
        return services;
    }

    public static WebApplication MapOpenAiApi(this WebApplication app)
    {
        app.MapGet("/v1/models", (HttpContext context, OpenAiCall call, ModelsEndpoint models) => call.Run(context, models.List));
        app.MapGet("/v1/models/{**id}", (HttpContext context, string id, OpenAiCall call, ModelsEndpoint models) =>
            call.Run(context, c => models.Retrieve(c, id)));
        app.MapPost("/v1/completions", (HttpContext context, OpenAiCall call, CompletionsEndpoint completions) => call.Run(context, completions.Handle));
        app.MapPost("/v1/chat/completions", (HttpContext context, OpenAiCall call, ChatCompletionsEndpoint chat) => call.Run(context, chat.Handle));
        app.MapFallback("/v1/{**path}", (HttpContext context, OpenAiCall call) => call.NotFound(context));
        // For load balancers and probes, open without the API key as gRPC health is: 200 once every expert is placed, else 503.
        app.MapHealthChecks("/health");
        return app;
    }
}
