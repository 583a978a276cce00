using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rex.Gateway.Api;
using Rex.Gateway.Hosting;
using Rex.Protos.Grains;

namespace Rex.Gateway.OpenAi;

/// <summary>
/// Runs one OpenAI API call: the API key first, then the endpoint; any failure becomes OpenAI's error JSON with its
/// status, so one request's failure stays its own. A client that left gets nothing: the same token that told us
/// (HttpContext.RequestAborted) already cancelled its generation. A request refused for want of experts gets
/// `Retry-After`: another ExpertWaitTimeoutSeconds, the time it already waited.
/// </summary>
public sealed partial class OpenAiCall(ApiKeyCheck keys, IOptions<GatewayOptions> options, ILogger<OpenAiCall> log)
{
    readonly string retryAfter = Math.Max(1, Math.Ceiling(options.Value.ExpertWaitTimeoutSeconds)).ToString(CultureInfo.InvariantCulture);

    public async Task Run(HttpContext context, Func<HttpContext, Task> endpoint)
    {
        if (!keys.IsAuthorized(context.Request.Headers.Authorization.ToString()))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Write(context, StatusCodes.Status401Unauthorized, OpenAiErrors.Unauthorized);
            return;
        }
        try
        {
            await endpoint(context);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client is gone; there is no one to answer.
        }
        catch (Exception error)
        {
            var (status, body) = OpenAiErrors.Of(error);
            if (status >= StatusCodes.Status500InternalServerError) LogFailure(log, context.Request.Path, status, error);
            // A stream that failed after its headers has already sent the error as an event.
            if (context.Response.HasStarted) return;
            if (error is NoExpertsException) context.Response.Headers.RetryAfter = retryAfter;
            await Write(context, status, body);
        }
    }

    /// <summary>Any other path under /v1 (or a method a route does not take): OpenAI's 404 JSON, not an empty body.</summary>
    public Task NotFound(HttpContext context) => Write(context, StatusCodes.Status404NotFound,
        new OpenAiError($"{context.Request.Method} {context.Request.Path} is not an endpoint of this API", OpenAiErrors.InvalidRequest, null, "not_found"));

    static Task Write(HttpContext context, int status, OpenAiError error)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(error), OpenAiJson.Api.ErrorResponse, cancellationToken: context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} failed with {Status}")]
    static partial void LogFailure(ILogger logger, PathString path, int status, Exception error);
}
