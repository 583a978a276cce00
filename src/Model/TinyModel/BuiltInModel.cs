using Rex.Model.Config;
using Rex.Model.Models;

namespace Rex.Model.TinyModel;

/// <summary>
/// Rex's built-in model: a tiny DBRX-format checkpoint (the shapes of ../tests fixture dbrx-tiny: d_model 64,
/// 4 query heads over 2 KV heads, 2 blocks, 16 experts top-4, ffn 32, clip_qkv 8, rope_theta 500000, the real
/// 100352-token vocabulary) with deterministic weights, written on first use. Nothing is downloaded.
/// </summary>
public static class BuiltInModel
{
    // Bump when the weights or shapes change, so stale copies are not reused.
    const string Name = "dbrx-tiny-v1";
    const long Seed = 20261123;

    /// <summary>The family the built-in model belongs to.</summary>
    public const string Family = "dbrx";

    public static ModelConfig Config { get; } = ModelConfigReader.Read(ModelFamilies.TinyConfig(Family), "the built-in model");

    /// <summary>`$REX_HOME/models/dbrx-tiny-v1`; REX_HOME defaults to `$XDG_CACHE_HOME/rex`, then `~/.cache/rex`.</summary>
    public static string DefaultPath
    {
        get
        {
            var home = Environment.GetEnvironmentVariable("REX_HOME");
            if (string.IsNullOrEmpty(home))
            {
                var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
                if (string.IsNullOrEmpty(cache))
                    cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
                home = Path.Combine(cache, "rex");
            }
            return Path.Combine(home, "models", Name);
        }
    }

    public static void Write(string directory) => TinyModels.Write(directory, Family, new RandomCheckpoint.Options { Seed = Seed });

    /// <summary>
    /// The built-in model's directory, written first if absent. Concurrent first uses each write a private
    /// copy and the first rename wins, so no process ever sees a half-written model.
    /// </summary>
    public static string EnsureCreated()
    {
        var path = DefaultPath;
        if (Directory.Exists(path)) return path;
        var staging = $"{path}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}";
        Write(staging);
        try
        {
            Directory.Move(staging, path);
        }
        catch (IOException) when (Directory.Exists(path))
        {
            Directory.Delete(staging, recursive: true);
        }
        return path;
    }
}
