namespace Rex.Model.Tokenization;

/// <summary>One turn of a conversation: a role (system, user, assistant, ...) and its content.</summary>
public sealed record ChatMessage(string Role, string Content);
