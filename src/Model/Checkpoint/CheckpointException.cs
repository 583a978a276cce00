namespace Rex.Model.Checkpoint;

/// <summary>A checkpoint file is unreadable or does not hold what the model needs. The message names the file and tensor.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);
