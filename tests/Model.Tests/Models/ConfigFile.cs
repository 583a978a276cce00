using Rex.Model.Config;
using Rex.Tests;

namespace Rex.Model.Tests.Models;

/// <summary>A config.json written to a temporary directory and read back as Rex reads it.</summary>
public sealed class ConfigFile : IDisposable
{
    readonly TemporaryDirectory directory = new();

    public string Path => directory.File(ModelConfigReader.FileName);

    public string Directory => directory.Path;

    public ModelConfig Read(string json)
    {
        File.WriteAllText(Path, json);
        return ModelConfigReader.ReadDirectory(directory.Path);
    }

    public ModelConfigException Rejects(string json) => Assert.Throws<ModelConfigException>(() => Read(json));

    public void Dispose() => directory.Dispose();
}
