using Rex.Gateway.Api;
using Rex.Protos.Grains;

namespace Rex.Gateway.OpenAi;

/// <summary>Generates for a checked request and answers in its endpoint's format: one JSON object, or server-sent events.</summary>
public static class GenerationAnswer
{
    /// <param name="logprobs">The engine's count of alternatives per token; null: no logprobs.</param>
    public static async Task Send<TWhole, TChunk>(HttpContext context, GenerationFront front, SamplingRequest request, int[] prompt, int? logprobs,
        IAnswerFormat<TWhole, TChunk> format) where TChunk : class
    {
        var input = front.Input(prompt, request.Sampling(logprobs), request.HasMaxTokens, format.OperationName);
        if (request.IsStream)
            await Stream(context, front.GenerateStream(input, context.RequestAborted), format, prompt.Length, request.IncludeUsage);
        else
            await context.Response.WriteAsJsonAsync(format.Whole(await front.Generate(input, context.RequestAborted), prompt.Length), format.WholeJson,
                cancellationToken: context.RequestAborted);
    }

    static async Task Stream<TWhole, TChunk>(HttpContext context, IAsyncEnumerable<GenerationDelta> deltas, IAnswerFormat<TWhole, TChunk> format,
        int promptTokens, bool includeUsage) where TChunk : class
    {
        var cancellation = context.RequestAborted;
        await using var next = deltas.GetAsyncEnumerator(cancellation);
        // The first delta comes before the headers: a request the engine refuses still gets its status code.
        var more = await next.MoveNextAsync();
        using var events = await ServerSentEvents.Start(context.Response, cancellation);
        try
        {
            if (format.Opening is { } opening) await events.Send(opening, format.ChunkJson, cancellation);
            var completionTokens = 0;
            var cachedTokens = 0;
            for (; more; more = await next.MoveNextAsync())
            {
                completionTokens += next.Current.TokenIds.Length;
                cachedTokens = next.Current.CachedPromptTokens; // set on the last delta
                if (format.Of(next.Current) is { } chunk) await events.Send(chunk, format.ChunkJson, cancellation);
            }
            if (includeUsage) await events.Send(format.Closing(Usage.Of(promptTokens, completionTokens, cachedTokens)), format.ChunkJson, cancellation);
        }
        catch (Exception error) when (!cancellation.IsCancellationRequested)
        {
            // The status line is gone: the error travels as an event, as vLLM sends it, and is rethrown to be logged.
            await events.Send(new ErrorResponse(OpenAiErrors.Of(error).Error), OpenAiJson.Api.ErrorResponse, cancellation);
            await events.Done(cancellation);
            throw;
        }
        await events.Done(cancellation);
    }
}
