using Rex.Model.Config;

namespace Rex.Model.Engine;

/// <summary>The checks every engine applies to a request before accepting it, with the field and limit named.</summary>
public static class RequestValidator
{
    /// <param name="field">How the caller names the prompt (prompt, token_ids, requests[3].prompt).</param>
    public static void Validate(GenerationRequest request, ModelConfig config, int maxModelLen, string field)
    {
        ValidatePrompt(request.PromptIds, config, maxModelLen, field);
        request.Sampling.Validate(config.VocabSize);
    }

    /// <summary>
    /// A server's rule (vLLM's): the prompt plus max_tokens must fit in max_model_len, so a request is refused
    /// up front rather than cut short. The reference engine instead stops at max_position_embeddings, as Hugging Face does.
    /// </summary>
    public static void ValidateTotalLength(GenerationRequest request, int maxModelLen, string field)
    {
        var total = request.PromptIds.Count + request.Sampling.MaxTokens;
        if (total > maxModelLen)
            throw new ArgumentException(
                $"max_tokens: {field} ({request.PromptIds.Count} tokens) plus max_tokens ({request.Sampling.MaxTokens}) is {total}, more than max_model_len ({maxModelLen})",
                "max_tokens");
    }

    public static void ValidatePrompt(IReadOnlyList<int> ids, ModelConfig config, int maxModelLen, string field)
    {
        if (ids.Count == 0) throw new ArgumentException($"{field} must not be empty", field);
        if (ids.Count > maxModelLen)
            throw new ArgumentException($"{field} has {ids.Count} tokens, more than max_model_len ({maxModelLen})", field);
        foreach (var id in ids)
            if (id < 0 || id >= config.VocabSize)
                throw new ArgumentException($"{field} holds token id {id}, outside the vocabulary [0, {config.VocabSize})", field);
    }
}
