namespace Rex.Model.Config;

/// <summary>A model's configuration files are missing, malformed or inconsistent. The message names the file and field.</summary>
public sealed class ModelConfigException(string message, Exception? inner = null) : Exception(message, inner);
