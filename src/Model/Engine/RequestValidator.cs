using Rex.Model.Config;

namespace Rex.Model.Engine;

/// <summary>The checks every engine applies to a request before accepting it, with the field and limit named.</summary>
public static class RequestValidator
{
    /// <param name="field">How the caller names the prompt (prompt, token_ids, requests[3].prompt).</param>
    public static void Validate(GenerationRequest request, DbrxConfig config, int maxModelLen, string field)
    {
        ValidatePrompt(request.PromptIds, config, maxModelLen, field);
        request.Sampling.Validate(config.VocabSize);
    }

    public static void ValidatePrompt(IReadOnlyList<int> ids, DbrxConfig config, int maxModelLen, string field)
    {
        if (ids.Count == 0) throw new ArgumentException($"{field} must not be empty", field);
        if (ids.Count > maxModelLen)
            throw new ArgumentException($"{field} has {ids.Count} tokens, more than max_model_len ({maxModelLen})", field);
        foreach (var id in ids)
            if (id < 0 || id >= config.VocabSize)
                throw new ArgumentException($"{field} holds token id {id}, outside the vocabulary [0, {config.VocabSize})", field);
    }
}
