namespace Rex.Silo.Hosting;

/// <summary>A fixed port of a Rex program is held by another process: a user's to fix, reported in one line.</summary>
public sealed class PortInUseException(string message) : InvalidOperationException(message);
