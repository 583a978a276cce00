using Grpc.Core;
using Rex.Gateway.Grains;
using Rex.Protos.Api;
using Rex.Model.Sampling;
using Rex.Protos.Grains;
using Rex.Silo.Experts;

namespace Rex.Gateway.Api;

/// <summary>The public `rex.v1.Rex` service: validates, translates to the gateway grain, maps errors to statuses.</summary>
public sealed class RexApiService(IGrainFactory grains, ModelCatalog catalog) : Protos.Api.Rex.RexBase
{
    public override async Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context)
    {
        if (request.Model.Length > 0 && request.Model != catalog.Name)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"model '{request.Model}' is not served here (this gateway serves '{catalog.Name}')"));
        int[] prompt = request.PromptCase switch
        {
            GenerateRequest.PromptOneofCase.Text => catalog.Directory.Tokenizer.Encode(request.Text),
            GenerateRequest.PromptOneofCase.TokenIds => [.. request.TokenIds.Ids],
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "prompt: give text or token_ids")),
        };
        var input = GenerationInputs.From(prompt, Sampling(request.Sampling ?? new SamplingParameters()));
        GenerationOutcome outcome;
        try
        {
            outcome = await grains.GetGrain<IGatewayGrain>(GatewayGrain.KeyOf(catalog.Name)).Generate(input, context.CancellationToken);
        }
        catch (Exception e)
        {
            throw ApiErrors.ToRpc(e, context);
        }
        var response = new GenerateResponse
        {
            Text = outcome.Text,
            FinishReason = outcome.FinishReason,
            Usage = new Usage { PromptTokens = prompt.Length, CompletionTokens = outcome.TokenIds.Length },
        };
        response.TokenIds.AddRange(outcome.TokenIds);
        return response;
    }

    // Unset fields keep SamplingParams' defaults; validation happens in the engine, naming the field.
    static SamplingParams Sampling(SamplingParameters wire)
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
        };
    }
}
