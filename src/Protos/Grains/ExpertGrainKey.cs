namespace Rex.Protos.Grains;

/// <summary>
/// The identity of one expert replica: (model, layer, expert, replica), written "model/layer/expert/replica"
/// as the string key of its <see cref="IExpertGrain"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("rex.ExpertGrainKey")]
public readonly record struct ExpertGrainKey(
    [property: Id(0)] string Model,
    [property: Id(1)] int Layer,
    [property: Id(2)] int Expert,
    [property: Id(3)] int Replica)
{
    public override string ToString() => $"{Model}/{Layer}/{Expert}/{Replica}";

    /// <summary>Both are replicas of the same expert (possibly the same one): such replicas belong on different silos.</summary>
    public bool SameExpert(ExpertGrainKey other) => Model == other.Model && Layer == other.Layer && Expert == other.Expert;

    /// <summary>Parses from the right, so a model name may itself contain '/'.</summary>
    public static ExpertGrainKey Parse(string key)
    {
        var parts = key.Split('/');
        if (parts.Length < 4
            || !int.TryParse(parts[^3], out var layer) || !int.TryParse(parts[^2], out var expert) || !int.TryParse(parts[^1], out var replica))
            throw new FormatException($"'{key}' is not an expert key (model/layer/expert/replica)");
        return new ExpertGrainKey(string.Join('/', parts[..^3]), layer, expert, replica);
    }
}
