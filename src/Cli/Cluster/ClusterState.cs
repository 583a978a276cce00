using System.Text.Json;

namespace Rex.Cli.Cluster;

/// <summary>One process of a local cluster: its role, pid and log file.</summary>
public sealed record ClusterProcess(string Role, int Pid, string Log);

/// <summary>What `rex cluster up` started (the gateway address once known), saved after each start so `rex cluster down` can stop it.</summary>
public sealed record ClusterState(string Gateway, IReadOnlyList<ClusterProcess> Processes)
{
    public const string FileName = "cluster.json";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string DefaultDirectory => Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(Rex.Model.TinyModel.BuiltInModel.DefaultPath)!)!, "cluster");

    public static ClusterState? Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        return File.Exists(path) ? JsonSerializer.Deserialize<ClusterState>(File.ReadAllText(path), Json) : null;
    }

    public void Write(string directory) => File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Json));

    public static void Delete(string directory) => File.Delete(Path.Combine(directory, FileName));
}
