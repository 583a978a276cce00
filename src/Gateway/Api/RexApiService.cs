using Grpc.Core;
using Rex.Gateway.Telemetry;
using Rex.Protos.Api;
using Rex.Protos.Grains;
using ModelChatMessage = Rex.Model.Tokenization.ChatMessage;
using SamplingParams = Rex.Model.Sampling.SamplingParams;

namespace Rex.Gateway.Api;

/// <summary>The public `rex.v1.Rex` service: validates, translates to the gateway grain, maps errors to statuses.</summary>
public sealed class RexApiService(GenerationFront front) : Protos.Api.Rex.RexBase
{
    public override Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context) =>
        Unary(() => Prepare(request), context);

    public override Task GenerateStream(GenerateRequest request, IServerStreamWriter<GenerateStreamResponse> responseStream, ServerCallContext context) =>
        Streamed(() => Prepare(request), responseStream, context);

    public override Task<GenerateResponse> Chat(ChatRequest request, ServerCallContext context) =>
        Unary(() => Prepare(request), context);

    public override Task ChatStream(ChatRequest request, IServerStreamWriter<GenerateStreamResponse> responseStream, ServerCallContext context) =>
        Streamed(() => Prepare(request), responseStream, context);

    public override Task<TokenizeResponse> Tokenize(TokenizeRequest request, ServerCallContext context) =>
        ApiErrors.Guard(context, () =>
        {
            front.CheckModel(request.Model);
            return Task.FromResult(new TokenizeResponse { TokenIds = { front.EncodeText(request.Text, "text") } });
        });

    public override Task<DetokenizeResponse> Detokenize(DetokenizeRequest request, ServerCallContext context) =>
        ApiErrors.Guard(context, () =>
        {
            front.CheckModel(request.Model);
            front.CheckTokenIds(request.TokenIds, "token_ids");
            return Task.FromResult(new DetokenizeResponse { Text = front.Decode(request.TokenIds, "token_ids") });
        });

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) =>
        Task.FromResult(new ListModelsResponse
        {
            Models = { new ModelInfo { Id = front.ModelName, MaxModelLen = front.MaxModelLen, VocabSize = front.VocabSize } },
        });

    (int[] Prompt, GenerationInput Input) Prepare(GenerateRequest request)
    {
        front.CheckModel(request.Model);
        int[] prompt = request.PromptCase switch
        {
            GenerateRequest.PromptOneofCase.Text => front.EncodeText(request.Text, "text"),
            GenerateRequest.PromptOneofCase.TokenIds => [.. request.TokenIds.Ids],
            _ => throw new ArgumentException("prompt: give text or token_ids", "prompt"),
        };
        var sampling = request.Sampling ?? new SamplingParameters();
        return (prompt, front.Input(prompt, Sampling(sampling), sampling.HasMaxTokens, GenAiOperations.TextCompletion));
    }

    (int[] Prompt, GenerationInput Input) Prepare(ChatRequest request)
    {
        front.CheckModel(request.Model);
        var prompt = front.EncodeChat([.. request.Messages.Select(m => new ModelChatMessage(m.Role, m.Content))], "messages");
        var sampling = request.Sampling ?? new SamplingParameters();
        return (prompt, front.Input(prompt, Sampling(sampling), sampling.HasMaxTokens, GenAiOperations.Chat));
    }

    Task<GenerateResponse> Unary(Func<(int[] Prompt, GenerationInput Input)> prepare, ServerCallContext context) =>
        ApiErrors.Guard(context, async () =>
        {
            var (prompt, input) = prepare();
            return Response(prompt.Length, await front.Generate(input, context.CancellationToken));
        });

    Task Streamed(Func<(int[] Prompt, GenerationInput Input)> prepare, IServerStreamWriter<GenerateStreamResponse> responseStream,
        ServerCallContext context) =>
        ApiErrors.Guard(context, async () =>
        {
            var (prompt, input) = prepare();
            await Stream(prompt.Length, input, responseStream, context);
            return true;
        });

    async Task Stream(int promptTokens, GenerationInput input, IServerStreamWriter<GenerateStreamResponse> responseStream, ServerCallContext context)
    {
        var completionTokens = 0;
        await foreach (var delta in front.GenerateStream(input, context.CancellationToken).WithCancellation(context.CancellationToken))
        {
            completionTokens += delta.TokenIds.Length;
            var message = new GenerateStreamResponse { Text = delta.Text, FinishReason = delta.FinishReason ?? "" };
            message.TokenIds.AddRange(delta.TokenIds);
            message.Logprobs.AddRange(Logprobs(delta.Logprobs));
            if (delta.FinishReason is not null) message.Usage = Usage(promptTokens, completionTokens, delta.CachedPromptTokens);
            await responseStream.WriteAsync(message, context.CancellationToken);
        }
    }

    GenerateResponse Response(int promptTokens, GenerationOutcome outcome)
    {
        var response = new GenerateResponse
        {
            Text = outcome.Text,
            FinishReason = outcome.FinishReason,
            Usage = Usage(promptTokens, outcome.TokenIds.Length, outcome.CachedPromptTokens),
        };
        response.TokenIds.AddRange(outcome.TokenIds);
        response.Logprobs.AddRange(Logprobs(outcome.Logprobs));
        return response;
    }

    static Usage Usage(int prompt, int completion, int cached) =>
        new() { PromptTokens = prompt, CompletionTokens = completion, CachedPromptTokens = cached };

    IEnumerable<TokenLogprob> Logprobs(IEnumerable<WireLogprob> logprobs) => logprobs.Select(l =>
    {
        var token = new TokenLogprob { TokenId = l.TokenId, Token = TokenText(l.TokenId), Logprob = l.Logprob };
        for (var i = 0; i < l.TopIds.Length; i++)
            token.TopLogprobs.Add(new TopLogprob { TokenId = l.TopIds[i], Token = TokenText(l.TopIds[i]), Logprob = l.TopLogprobs[i] });
        return token;
    });

    string TokenText(int id) => front.TokenText(id);

    // Unset fields keep SamplingParams' defaults; validation happens in the engine, naming the field.
    internal static SamplingParams Sampling(SamplingParameters wire)
    {
        var defaults = new SamplingParams();
        return new SamplingParams
        {
            Temperature = wire.HasTemperature ? wire.Temperature : defaults.Temperature,
            TopP = wire.HasTopP ? wire.TopP : defaults.TopP,
            TopK = wire.HasTopK ? wire.TopK : defaults.TopK,
            Seed = wire.HasSeed ? wire.Seed : defaults.Seed,
            MaxTokens = wire.HasMaxTokens ? wire.MaxTokens : defaults.MaxTokens,
            Stop = [.. wire.Stop],
            StopTokenIds = wire.StopTokenIds.Count > 0 ? [.. wire.StopTokenIds] : defaults.StopTokenIds,
            IgnoreEos = wire.IgnoreEos,
            PresencePenalty = wire.HasPresencePenalty ? wire.PresencePenalty : defaults.PresencePenalty,
            FrequencyPenalty = wire.HasFrequencyPenalty ? wire.FrequencyPenalty : defaults.FrequencyPenalty,
            Logprobs = wire.HasLogprobs ? wire.Logprobs : defaults.Logprobs,
            LogitBias = wire.LogitBias.Count > 0 ? new Dictionary<int, double>(wire.LogitBias) : defaults.LogitBias,
        };
    }
}
