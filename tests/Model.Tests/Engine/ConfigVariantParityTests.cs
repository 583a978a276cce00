using Rex.Model.Config;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Sampling;
using Rex.Model.Tests.Reference;
using Rex.Model.TinyModel;
using Rex.Tests;

namespace Rex.Model.Tests.Engine;

/// <summary>
/// The engine against the scalar reference on DBRX checkpoints whose shapes and config values differ from the
/// fixture's: MHA and MQA, no clipping and heavy clipping, every moe_normalize_expert_weights form, other
/// activations, top-1 and all-experts routing, F32/F16/BF16 weights, single and sharded files.
/// </summary>
public sealed class ConfigVariantParityTests
{
    const double Tolerance = 1e-3;

    public static readonly Dictionary<string, (DbrxConfig Config, RandomDbrxCheckpoint.Options Options)> Variants = new()
    {
        ["mha, no clip, no renormalisation, f32, 2 shards"] = (
            new DbrxConfig { DModel = 48, NumHeads = 4, NumKvHeads = 4, NumLayers = 2, MaxSeqLen = 128, VocabSize = 300,
                ClipQkv = null, RopeTheta = 10000, FfnHiddenSize = 24, NumExperts = 8, TopK = 2, ExpertWeightNormP = null },
            new RandomDbrxCheckpoint.Options { Seed = 11, DType = "F32", NumShards = 2 }),
        ["mqa, heavy clip, p=2, gelu, f16"] = (
            new DbrxConfig { DModel = 64, NumHeads = 8, NumKvHeads = 1, NumLayers = 3, MaxSeqLen = 128, VocabSize = 300,
                ClipQkv = 0.5, RopeTheta = 1_000_000, FfnHiddenSize = 16, NumExperts = 6, TopK = 3, ExpertWeightNormP = 2,
                Activation = ExpertActivation.Gelu },
            new RandomDbrxCheckpoint.Options { Seed = 12, DType = "F16" }),
        ["top-1, relu, bf16, 3 shards"] = (
            new DbrxConfig { DModel = 32, NumHeads = 2, NumKvHeads = 2, NumLayers = 1, MaxSeqLen = 64, VocabSize = 300,
                ClipQkv = 4, RopeTheta = 500000, FfnHiddenSize = 8, NumExperts = 4, TopK = 1, ExpertWeightNormP = 1,
                Activation = ExpertActivation.Relu },
            new RandomDbrxCheckpoint.Options { Seed = 13, DType = "BF16", NumShards = 3 }),
        ["all experts, p=0.5, gelu tanh, gqa 5:1"] = (
            new DbrxConfig { DModel = 40, NumHeads = 5, NumKvHeads = 1, NumLayers = 2, MaxSeqLen = 64, VocabSize = 300,
                ClipQkv = 2, RopeTheta = 10000, FfnHiddenSize = 12, NumExperts = 5, TopK = 5, ExpertWeightNormP = 0.5,
                Activation = ExpertActivation.GeluTanh },
            new RandomDbrxCheckpoint.Options { Seed = 14, DType = "F32" }),
    };

    public static TheoryData<string> Names => new(Variants.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void LogitsMatchTheReferenceAtEveryPosition(string name)
    {
        using var variant = new Variant(name);
        var (reference, engine) = (variant.Reference, variant.Engine);
        foreach (var prompt in new[] { new[] { 5 }, new[] { 17, 3, 250, 99, 4, 4, 180, 61, 2, 33, 71 } })
        {
            var expected = reference.Logits(prompt);
            var actual = engine.PromptLogits(prompt);
            for (var t = 0; t < prompt.Length; t++)
            for (var id = 0; id < expected[t].Length; id++)
                Assert.True(Math.Abs(expected[t][id] - actual[t][id]) <= Tolerance,
                    $"{name}: position {t} id {id}: reference {expected[t][id]}, engine {actual[t][id]}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void GreedyTokensMatchTheReference(string name)
    {
        using var variant = new Variant(name);
        var (reference, engine) = (variant.Reference, variant.Engine);
        var tokens = new List<int> { 42, 7, 199 };
        var generated = engine.Generate([new GenerationRequest(tokens.ToArray(), new SamplingParams { MaxTokens = 8 })])[0];
        foreach (var token in generated.TokenIds)
        {
            var logits = reference.Logits([.. tokens])[^1];
            Assert.Equal(Array.IndexOf(logits, logits.Max()), token);
            tokens.Add(token);
        }
        Assert.Equal(8, generated.TokenIds.Count);
    }

    /// <summary>A variant's checkpoint written to a temporary directory, with the reference and the engine on it.</summary>
    sealed class Variant : IDisposable
    {
        readonly TemporaryDirectory directory = new();

        public Variant(string name)
        {
            var (config, options) = Variants[name];
            RandomDbrxCheckpoint.Write(directory.Path, config, options);
            Reference = new NaiveDbrx(directory.Path);
            Engine = ReferenceEngine.Load(directory.Path, ComputePlacement.Cpu);
        }

        public NaiveDbrx Reference { get; }

        public ReferenceEngine Engine { get; }

        public void Dispose()
        {
            Engine.Dispose();
            directory.Dispose();
        }
    }
}
