using Rex.Model.TinyModel;

namespace Rex.Cli.Bench;

/// <summary>
/// The built-in tiny model's shapes at another d_model, written to a temporary directory and deleted on dispose, so
/// the transport can be measured at a real model's width. ffn_hidden_size stays the tiny model's, so the experts'
/// compute stays small while the rows' bytes grow; one layer and a 256-token vocabulary, since only layer 0's experts
/// are loaded and the embedding and LM head are never read.
/// </summary>
internal sealed class WidenedTinyModel : IDisposable
{
    readonly string parent;

    WidenedTinyModel(string parent, string path)
    {
        this.parent = parent;
        Path = path;
    }

    /// <summary>The model directory; its name, `dbrx-tiny-d{d_model}`, is the model's name on the wire.</summary>
    public string Path { get; }

    public static WidenedTinyModel Write(int dModel)
    {
        var config = (BuiltInModel.Config with { DModel = dModel, NumLayers = 1, VocabSize = 256 }).Validate("--hidden");
        var parent = Directory.CreateTempSubdirectory("rex-bench-transport-").FullName;
        var path = System.IO.Path.Combine(parent, $"dbrx-tiny-d{dModel}");
        try
        {
            RandomDbrxCheckpoint.Write(path, config, new RandomDbrxCheckpoint.Options());
        }
        catch
        {
            Directory.Delete(parent, recursive: true);
            throw;
        }
        return new WidenedTinyModel(parent, path);
    }

    public void Dispose() => Directory.Delete(parent, recursive: true);
}
