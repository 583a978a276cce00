using System.Text.Json.Serialization.Metadata;
using Rex.Protos.Grains;

namespace Rex.Gateway.OpenAi;

/// <summary>How one endpoint's answer looks: whole, or as a stream of chunks and what chunk, if any, each delta becomes.</summary>
public interface IAnswerFormat<TWhole, TChunk> where TChunk : class
{
    /// <summary>The GenAI operation the endpoint performs (gen_ai.operation.name): "chat" or "text_completion".</summary>
    string OperationName { get; }

    JsonTypeInfo<TWhole> WholeJson { get; }

    JsonTypeInfo<TChunk> ChunkJson { get; }

    TWhole Whole(GenerationOutcome outcome, int promptTokens);

    /// <summary>Sent before the first delta (chat's role); null for none.</summary>
    TChunk? Opening { get; }

    /// <summary>A delta's chunk; null when it carries nothing a client would see.</summary>
    TChunk? Of(GenerationDelta delta);

    /// <summary>The usage chunk stream_options.include_usage asks for, with no choices.</summary>
    TChunk Closing(Usage usage);
}
