using System.CommandLine;
using System.Text.Json.Nodes;
using Rex.Model.Checkpoint;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.TinyModel;
using Rex.Silo.Devices;

namespace Rex.Cli;

/// <summary>`--model DIR` (default: the built-in tiny model, written on first use), `--dtype`, `--load-format`, `--hf-overrides` and, for the local engine, `--device`.</summary>
internal sealed class ModelOptions
{
    public Option<string?> Model { get; } = new("--model")
    {
        Description = "Hugging Face model directory of a supported family (default: the built-in tiny model)",
    };

    public Option<string> DType { get; } = new("--dtype")
    {
        Description = "compute dtype: float32, bfloat16 or float16",
        DefaultValueFactory = _ => "float32",
    };

    public Option<string> Device { get; } = new("--device")
    {
        Description = "the local engine's device: cpu or cuda:N",
        DefaultValueFactory = _ => "cpu",
    };

    public Option<string> LoadFormat { get; } = new("--load-format")
    {
        Description = "auto (the directory's safetensors) or dummy (random weights drawn on load; only config.json is read)",
        DefaultValueFactory = _ => "auto",
    };

    public Option<string?> HfOverrides { get; } = new("--hf-overrides")
    {
        Description = "JSON object merged into the model's config.json, e.g. '{\"num_hidden_layers\": 4}' (vLLM's --hf-overrides)",
    };

    public void AddTo(Command command)
    {
        command.Add(Model);
        command.Add(DType);
        command.Add(LoadFormat);
        command.Add(HfOverrides);
    }

    /// <summary>The overrides, checked; null when none were given.</summary>
    public JsonObject? Overrides(ParseResult parse) => Rex.Model.Config.HfOverrides.Parse(parse.GetValue(HfOverrides), "--hf-overrides");

    /// <summary>For the local engine; a cluster's devices are set per process.</summary>
    public void AddDeviceTo(Command command) => command.Add(Device);

    public string ModelPath(ParseResult parse) => parse.GetValue(Model) ?? BuiltInModel.EnsureCreated();

    /// <summary>Whether the local engine runs on the host's CPU (its memory is the host's).</summary>
    public bool OnCpu(ParseResult parse) => DeviceSpec.Parse(parse.GetValue(Device)!).Device.type == TorchSharp.DeviceType.CPU;

    public ReferenceEngine LoadEngine(ParseResult parse)
    {
        var device = DeviceSpec.Parse(parse.GetValue(Device)!);
        CudaAvailability.Require([device], "--device");
        return ReferenceEngine.Load(ModelPath(parse), new ComputePlacement(device.Device, ComputePlacement.ParseDType(parse.GetValue(DType)!)),
            LoadFormats.Parse(parse.GetValue(LoadFormat)!), Overrides(parse));
    }
}
