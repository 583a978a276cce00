using System.Text.Json.Nodes;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Sampling;
using Rex.Model.Tests.Reference;
using Rex.Model.TinyModel;
using Rex.Tests;

namespace Rex.Model.Tests.Engine;

/// <summary>
/// The engine against the scalar reference on checkpoints of every family whose shapes and config values differ
/// from the fixtures': for DBRX MHA and MQA, no clipping and heavy clipping, every moe_normalize_expert_weights form,
/// other activations, top-1 and all-experts routing; for the Hugging Face families tied embeddings, explicit head
/// sizes, biases, renormalised or raw top-k weights, dense layers by mlp_only_layers and decoder_sparse_step, shared
/// experts, OLMoE's clipping; F32/F16/BF16 weights, single and sharded files. Configs are written in each family's
/// own field names, so reading them is checked too.
/// </summary>
public sealed class ConfigVariantParityTests
{
    const double Tolerance = 1e-3;

    public static readonly Dictionary<string, (string Family, string Overrides, RandomCheckpoint.Options Options)> Variants = new()
    {
        ["dbrx: mha, no clip, no renormalisation, f32, 2 shards"] = ("dbrx",
            """{"d_model": 48, "n_heads": 4, "n_layers": 2, "max_seq_len": 128, "vocab_size": 300, "attn_config": {"kv_n_heads": 4, "clip_qkv": null, "rope_theta": 10000}, "ffn_config": {"ffn_hidden_size": 24, "moe_num_experts": 8, "moe_top_k": 2, "moe_normalize_expert_weights": null}}""",
            new RandomCheckpoint.Options { Seed = 11, DType = "F32", NumShards = 2 }),
        ["dbrx: mqa, heavy clip, p=2, gelu, f16"] = ("dbrx",
            """{"d_model": 64, "n_heads": 8, "n_layers": 3, "max_seq_len": 128, "vocab_size": 300, "attn_config": {"kv_n_heads": 1, "clip_qkv": 0.5, "rope_theta": 1000000}, "ffn_config": {"ffn_hidden_size": 16, "moe_num_experts": 6, "moe_top_k": 3, "moe_normalize_expert_weights": 2, "ffn_act_fn": {"name": "gelu"}}}""",
            new RandomCheckpoint.Options { Seed = 12, DType = "F16" }),
        ["dbrx: top-1, relu, bf16, 3 shards"] = ("dbrx",
            """{"d_model": 32, "n_heads": 2, "n_layers": 1, "max_seq_len": 64, "vocab_size": 300, "attn_config": {"kv_n_heads": 2, "clip_qkv": 4}, "ffn_config": {"ffn_hidden_size": 8, "moe_num_experts": 4, "moe_top_k": 1, "moe_normalize_expert_weights": 1, "ffn_act_fn": {"name": "relu"}}}""",
            new RandomCheckpoint.Options { Seed = 13, DType = "BF16", NumShards = 3 }),
        ["dbrx: all experts, p=0.5, gelu tanh, gqa 5:1"] = ("dbrx",
            """{"d_model": 40, "n_heads": 5, "n_layers": 2, "max_seq_len": 64, "vocab_size": 300, "attn_config": {"kv_n_heads": 1, "clip_qkv": 2, "rope_theta": 10000}, "ffn_config": {"ffn_hidden_size": 12, "moe_num_experts": 5, "moe_top_k": 5, "moe_normalize_expert_weights": 0.5, "ffn_act_fn": {"name": "gelu_pytorch_tanh"}}}""",
            new RandomCheckpoint.Options { Seed = 14, DType = "F32" }),
        ["mixtral: tied embeddings, head_dim 24, mqa, gelu, f32"] = ("mixtral",
            """{"hidden_size": 48, "head_dim": 24, "num_attention_heads": 4, "num_key_value_heads": 1, "num_local_experts": 5, "num_experts_per_tok": 3, "intermediate_size": 20, "hidden_act": "gelu", "tie_word_embeddings": true, "vocab_size": 300, "rope_theta": 10000, "num_hidden_layers": 3}""",
            new RandomCheckpoint.Options { Seed = 21, DType = "F32" }),
        ["qwen2_moe: dense layers by step and list, renormalised, no qkv bias, 2 shards"] = ("qwen2_moe",
            """{"num_hidden_layers": 4, "decoder_sparse_step": 2, "mlp_only_layers": [3], "norm_topk_prob": true, "qkv_bias": false, "num_key_value_heads": 2, "intermediate_size": 40, "shared_expert_intermediate_size": 24, "vocab_size": 300}""",
            new RandomCheckpoint.Options { Seed = 31, DType = "BF16", NumShards = 2 }),
        ["qwen2_moe: shared expert and biases, tied, top-1, f16"] = ("qwen2_moe",
            """{"num_experts_per_tok": 1, "tie_word_embeddings": true, "moe_intermediate_size": 16, "vocab_size": 300}""",
            new RandomCheckpoint.Options { Seed = 32, DType = "F16" }),
        ["qwen3_moe: first layer dense, attention bias, raw top-k, head_dim 8"] = ("qwen3_moe",
            """{"num_hidden_layers": 3, "mlp_only_layers": [0], "attention_bias": true, "norm_topk_prob": false, "head_dim": 8, "num_attention_heads": 8, "num_key_value_heads": 4, "intermediate_size": 24, "vocab_size": 300}""",
            new RandomCheckpoint.Options { Seed = 41, DType = "F32" }),
        ["olmoe: clip_qkv, gqa, renormalised, attention bias, f16"] = ("olmoe",
            """{"clip_qkv": 0.8, "num_key_value_heads": 2, "norm_topk_prob": true, "attention_bias": true, "num_experts_per_tok": 3, "vocab_size": 300, "num_hidden_layers": 3}""",
            new RandomCheckpoint.Options { Seed = 51, DType = "F16" }),
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
        var generated = engine.Generate([new GenerationRequest(tokens.ToArray(), new SamplingParams { MaxTokens = 8, IgnoreEos = true })])[0];
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
            var (family, overrides, options) = Variants[name];
            TinyModels.Write(directory.Path, family, options, JsonNode.Parse(overrides)!.AsObject());
            Reference = new NaiveMoe(directory.Path);
            Engine = ReferenceEngine.Load(directory.Path, ComputePlacement.Cpu);
        }

        public NaiveMoe Reference { get; }

        public ReferenceEngine Engine { get; }

        public void Dispose()
        {
            Engine.Dispose();
            directory.Dispose();
        }
    }
}
