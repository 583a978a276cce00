using Grpc.Core;
using Orleans.Runtime;
using Rex.Gateway.Api;
using Rex.Protos.Grains;

namespace Rex.Gateway.OpenAi;

/// <summary>What went wrong behind the API as an HTTP status and OpenAI's error body, as gRPC's ApiErrors does for statuses.</summary>
public static class OpenAiErrors
{
    internal const string InvalidRequest = "invalid_request_error";
    const string ServerError = "server_error";

    public static (int Status, OpenAiError Error) Of(Exception error) => error switch
    {
        // vLLM and OpenAI answer an unknown model with 404 (gRPC with NOT_FOUND).
        ArgumentException { ParamName: "model" } model => (StatusCodes.Status404NotFound, new(ApiErrors.Describe(model), InvalidRequest, "model", "model_not_found")),
        ArgumentException argument => (StatusCodes.Status400BadRequest, new(ApiErrors.Describe(argument), InvalidRequest, argument.ParamName, null)),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } large =>
            (large.StatusCode, new(large.Message, InvalidRequest, null, "request_too_large")),
        BadHttpRequestException bad => (bad.StatusCode, new(bad.Message, InvalidRequest, null, null)),
        QueueFullException full => (StatusCodes.Status429TooManyRequests, new(full.Message, "rate_limit_error", null, "queue_full")),
        NoExpertsException none => (StatusCodes.Status503ServiceUnavailable, new(none.Message, ServerError, null, "no_experts")),
        // The step's expert silos did not answer in time (a dispatch deadline or an Orleans call timeout).
        TimeoutException or RpcException { StatusCode: StatusCode.DeadlineExceeded } =>
            (StatusCodes.Status504GatewayTimeout, new(error.Message, ServerError, null, "timeout")),
        OrleansException or EnumerationAbortedException or RpcException { StatusCode: StatusCode.Unavailable } =>
            (StatusCodes.Status503ServiceUnavailable, new(error.Message, ServerError, null, "unavailable")),
        // The client is still there, so the server cancelled: it is shutting down.
        OperationCanceledException => (StatusCodes.Status503ServiceUnavailable, new("the request was cancelled by the server", ServerError, null, "unavailable")),
        _ => (StatusCodes.Status500InternalServerError, new($"{error.GetType().Name}: {error.Message}", ServerError, null, null)),
    };

    public static OpenAiError Unauthorized { get; } =
        new("authorization: this server needs the header 'Authorization: Bearer <API key>'", InvalidRequest, null, "invalid_api_key");
}
