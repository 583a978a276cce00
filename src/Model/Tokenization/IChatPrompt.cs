namespace Rex.Model.Tokenization;

/// <summary>How a model turns a conversation into prompt ids: its own chat template, or Rex's ChatML fallback.</summary>
public interface IChatPrompt
{
    /// <param name="addGenerationPrompt">End with the start of the assistant's turn, so the model replies.</param>
    int[] Encode(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true);
}
