using Grpc.Core;
using Rex.Gateway.Grains;
using Rex.Protos.Api;
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
        var sampling = request.Sampling ?? new SamplingParameters();
        var input = new GenerationInput(prompt,
            sampling.HasTemperature ? sampling.Temperature : 0,
            sampling.HasTopP ? sampling.TopP : 1,
            sampling.HasTopK ? sampling.TopK : 0,
            sampling.HasSeed ? sampling.Seed : null,
            sampling.HasMaxTokens ? sampling.MaxTokens : 16,
            [.. sampling.Stop],
            sampling.StopTokenIds.Count > 0 ? [.. sampling.StopTokenIds] : null,
            sampling.IgnoreEos);
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
}
