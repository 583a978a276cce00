using System.Runtime.CompilerServices;
using Rex.Model.Config;
using Rex.Model.Layers;
using static TorchSharp.torch;

namespace Rex.Model.Checkpoint;

/// <summary>
/// Builds a model's layers from its weights, whatever its family: tensor names from the config's
/// <see cref="TensorNames"/>, every shape checked against <see cref="ModelTensors"/>, every tensor converted to the
/// placement's dtype and device. Each method reads only the tensors (or rows) it needs.
/// </summary>
public sealed class WeightReader(IModelWeights weights, ModelConfig config, ComputePlacement placement)
{
    // Shapes by tensor name, built once per config: a silo loads thousands of experts through fresh readers.
    static readonly ConditionalWeakTable<ModelConfig, Dictionary<string, long[]>> Shapes = new();

    TensorNames Names => config.Tensors;

    public Tensor Embedding() => Load(Names.Embedding + ".weight");

    public Norm FinalNorm() => Norm(Names.FinalNorm);

    /// <summary>The untied LM head `[vocab, hidden]`; a tied model's is its embedding.</summary>
    public Tensor LmHead() => Load(Names.LmHead + ".weight");

    public DecoderLayer Layer(int layer, RotaryEmbedding rotary)
    {
        var a = config.Attention;
        var qkNorms = a.QkNorm == QkNormKind.None ? null : new QkNorms(Norm(Names.QNorm!(layer)), Norm(Names.KNorm!(layer)));
        var attention = new Attention(a, layer, QkvProjection(layer), qkNorms, Linear(Names.Output(layer), a.OutputBias), rotary);
        var inputNorm = Norm(Names.InputNorm(layer));
        var postAttentionNorm = Norm(Names.PostAttentionNorm(layer));
        if (!config.IsMoeLayer(layer)) return new DecoderLayer(inputNorm, attention, postAttentionNorm, null, Glu(Names.DenseMlp!, layer));
        var moe = config.Moe;
        var router = new Router(moe, Load(Names.Router(layer) + ".weight"));
        var shared = moe.HasSharedExpert
            ? Glu(Names.SharedExpert!, layer, moe.SharedExpertGated ? Linear(Names.SharedExpertGate!(layer), bias: false) : null)
            : null;
        return new DecoderLayer(inputNorm, attention, postAttentionNorm, router, shared);
    }

    /// <summary>Loads one routed expert of one layer, nothing else (for fused tensors, only its rows).</summary>
    public ExpertGlu Expert(int layer, int expert)
    {
        if (!config.IsMoeLayer(layer))
            throw new ArgumentOutOfRangeException(nameof(layer), layer, "is a dense layer: it has no routed experts");
        if (expert < 0 || expert >= config.Moe.NumExperts)
            throw new ArgumentOutOfRangeException(nameof(expert), expert, $"the model has {config.Moe.NumExperts} experts per layer");
        var activation = config.Moe.Activation;
        switch (Names.Experts)
        {
            case FusedExpertTensorNames fused:
                var (first, ffn) = ((long)expert * config.Moe.IntermediateSize, config.Moe.IntermediateSize);
                Tensor down;
                // The transposed view is disposed too: a view left to the finalizer keeps the stored rows alive, a
                // third of every expert's bytes again (a DBRX-width model on one H200 ran out of memory while loading).
                using (var downTransposed = Rows(fused.DownTransposed(layer), first, ffn))
                using (var view = downTransposed.t())
                    down = view.contiguous();
                using (var gate = Rows(fused.Gate(layer), first, ffn))
                using (var up = Rows(fused.Up(layer), first, ffn))
                    return new ExpertGlu(activation, gate, up, down);
            case PerExpertTensorNames perExpert:
                using (var gate = Load(perExpert.Gate(layer, expert) + ".weight"))
                using (var up = Load(perExpert.Up(layer, expert) + ".weight"))
                    return new ExpertGlu(activation, gate, up, Load(perExpert.Down(layer, expert) + ".weight"));
            default:
                throw new InvalidOperationException($"unknown expert layout {Names.Experts.GetType().Name}");
        }
    }

    public ExpertLayer ExpertLayer(int layer, IEnumerable<int> experts) =>
        new(experts.ToDictionary(e => e, e => Expert(layer, e)));

    // The q, k and v projections as one linear layer: queries, keys, values by rows.
    Linear QkvProjection(int layer)
    {
        var bias = config.Attention.QkvBias;
        if (Names.Qkv is FusedQkvTensorNames fused) return Linear(fused.Qkv(layer), bias);
        var separate = (SeparateQkvTensorNames)Names.Qkv;
        string[] modules = [separate.Q(layer), separate.K(layer), separate.V(layer)];
        return new Linear(Concatenated(modules.Select(m => m + ".weight")), bias ? Concatenated(modules.Select(m => m + ".bias")) : null);
    }

    Tensor Concatenated(IEnumerable<string> names)
    {
        using var scope = NewDisposeScope();
        return cat(names.Select(Load).ToArray(), 0).MoveToOuterDisposeScope();
    }

    GluMlp Glu(GluTensorNames names, int layer, Linear? outputGate = null) =>
        new(config.Moe.Activation, Linear(names.Gate(layer), bias: false), Linear(names.Up(layer), bias: false), Linear(names.Down(layer), bias: false),
            outputGate);

    Linear Linear(string module, bool bias) => new(Load(module + ".weight"), bias ? Load(module + ".bias") : null);

    Norm Norm(string module) => new(config.Norm, Load(module + ".weight"));

    Tensor Load(string name) => weights.Load(name, Shape(name), placement.DType, placement.Device);

    Tensor Rows(string name, long firstRow, long numRows) =>
        weights.LoadRows(name, Shape(name), firstRow, numRows, placement.DType, placement.Device);

    long[] Shape(string name)
    {
        var shapes = Shapes.GetValue(config, c => ModelTensors.All(c).ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal));
        return shapes.TryGetValue(name, out var shape)
            ? shape
            : throw new CheckpointException($"a {config.ModelType} model of this config has no tensor '{name}'");
    }
}
