using System.Text.Json.Nodes;
using Rex.Model.Config;
using Rex.Model.Models;
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
        var overrides = new JsonObject { ["d_model"] = dModel, ["n_layers"] = 1, ["vocab_size"] = 256 };
        // Read before anything is written, so that a width no model can have is refused under the option's name.
        ModelConfigReader.Read(ModelConfigReader.Merged(ModelFamilies.TinyConfig(BuiltInModel.Family), overrides), "--hidden");
        var parent = Directory.CreateTempSubdirectory("rex-bench-transport-").FullName;
        var path = System.IO.Path.Combine(parent, $"dbrx-tiny-d{dModel}");
        try
        {
            TinyModels.Write(path, BuiltInModel.Family, new RandomCheckpoint.Options(), overrides);
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
