namespace Rex.Gateway.Dispatch;

/// <summary>What happens to an expert slot over a capacity limit.</summary>
public enum CapacityPolicy
{
    /// <summary>Another replica with room takes it, else a later message of the same layer: nothing is lost.</summary>
    Defer,

    /// <summary>Another replica with room takes it, else the row skips that expert (Switch Transformer style), counted.</summary>
    Drop,
}
