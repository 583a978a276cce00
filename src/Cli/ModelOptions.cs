using System.CommandLine;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.TinyModel;
using static TorchSharp.torch;

namespace Rex.Cli;

/// <summary>`--model DIR` (default: the built-in tiny model, written on first use) and `--dtype`.</summary>
internal sealed class ModelOptions
{
    public Option<string?> Model { get; } = new("--model")
    {
        Description = "Hugging Face DBRX model directory (default: the built-in tiny model)",
    };

    public Option<string> DType { get; } = new("--dtype")
    {
        Description = "compute dtype: float32, bfloat16 or float16",
        DefaultValueFactory = _ => "float32",
    };

    public void AddTo(Command command)
    {
        command.Add(Model);
        command.Add(DType);
    }

    public string ModelPath(ParseResult parse) => parse.GetValue(Model) ?? BuiltInModel.EnsureCreated();

    public ReferenceEngine LoadEngine(ParseResult parse) =>
        ReferenceEngine.Load(ModelPath(parse), new ComputePlacement(CPU, ComputePlacement.ParseDType(parse.GetValue(DType)!)));
}
