using System.Text.Json;
using System.Text.Json.Nodes;
using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Sampling;

namespace Rex.Model.TinyModel;

/// <summary>
/// Writes a complete DBRX-format model directory with deterministic random weights for any config:
/// config.json, generation_config.json, tokenizer_config.json and safetensors (one file or shards).
/// The same seed and config give the same bytes on every machine.
/// </summary>
public static class RandomDbrxCheckpoint
{
    public sealed record Options
    {
        public long Seed { get; init; } = 1;

        /// <summary>Safetensors dtype of the weights: BF16, F16 or F32.</summary>
        public string DType { get; init; } = "BF16";

        /// <summary>1 writes model.safetensors; more writes that many shards and model.safetensors.index.json.</summary>
        public int NumShards { get; init; } = 1;

        /// <summary>Scale of the fused QKV weights: large enough that some activations exceed clip_qkv.</summary>
        public double QkvScale { get; init; } = DbrxRandomInit.DefaultQkvScale;
    }

    public static void Write(string directory, DbrxConfig config, Options options)
    {
        Directory.CreateDirectory(directory);
        var random = new SequenceRandom(options.Seed);
        var tensors = DbrxRandomInit.Tensors(config, options.QkvScale).Select(Tensor).ToList();
        WriteWeights(directory, tensors, options.NumShards);
        WriteJson(Path.Combine(directory, DbrxConfigReader.FileName), ConfigJson(config));
        WriteJson(Path.Combine(directory, GenerationConfig.FileName), new JsonObject
        {
            ["eos_token_id"] = new JsonArray(100257, 100279),
            ["pad_token_id"] = 100277,
        });
        WriteJson(Path.Combine(directory, "tokenizer_config.json"), TokenizerConfigJson());

        SafetensorsTensor Tensor(DbrxRandomInit.RandomTensor tensor)
        {
            var values = new float[tensor.Shape.Aggregate(1L, (a, b) => a * b)];
            for (var i = 0; i < values.Length; i++) values[i] = (float)(tensor.Mean + tensor.Std * Normal(random));
            var bytes = options.DType switch
            {
                "BF16" => SafetensorsWriter.ToBFloat16(values),
                "F16" => SafetensorsWriter.ToFloat16(values),
                "F32" => SafetensorsWriter.ToFloat32(values),
                _ => throw new ArgumentException($"dtype {options.DType} is not BF16, F16 or F32", nameof(options)),
            };
            return new SafetensorsTensor(tensor.Name, options.DType, tensor.Shape, bytes);
        }
    }

    /// <summary>config.json as transformers writes it; clip_qkv is left out when null (absent = no clipping).</summary>
    public static JsonObject ConfigJson(DbrxConfig config)
    {
        var attn = new JsonObject { ["kv_n_heads"] = config.NumKvHeads, ["rope_theta"] = config.RopeTheta };
        if (config.ClipQkv is { } clip) attn["clip_qkv"] = clip;
        return new JsonObject
        {
            ["architectures"] = new JsonArray("DbrxForCausalLM"),
            ["model_type"] = "dbrx",
            ["d_model"] = config.DModel,
            ["n_heads"] = config.NumHeads,
            ["n_layers"] = config.NumLayers,
            ["max_seq_len"] = config.MaxSeqLen,
            ["vocab_size"] = config.VocabSize,
            ["attn_config"] = attn,
            ["ffn_config"] = new JsonObject
            {
                ["ffn_act_fn"] = new JsonObject { ["name"] = ActivationName(config.Activation) },
                ["ffn_hidden_size"] = config.FfnHiddenSize,
                ["moe_num_experts"] = config.NumExperts,
                ["moe_top_k"] = config.TopK,
                ["moe_normalize_expert_weights"] = config.ExpertWeightNormP,
            },
            ["tie_word_embeddings"] = false,
            ["torch_dtype"] = "bfloat16",
        };
    }

    static string ActivationName(ExpertActivation activation) => activation switch
    {
        ExpertActivation.Silu => "silu",
        ExpertActivation.Gelu => "gelu",
        ExpertActivation.GeluTanh => "gelu_pytorch_tanh",
        ExpertActivation.Relu => "relu",
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    static JsonObject TokenizerConfigJson()
    {
        var added = new JsonObject();
        foreach (var (id, content) in new[] { (100257, "<|endoftext|>"), (100277, "<|pad|>"), (100278, "<|im_start|>"), (100279, "<|im_end|>") })
            added[id.ToString()] = new JsonObject { ["content"] = content, ["special"] = true };
        return new JsonObject
        {
            ["tokenizer_class"] = "TiktokenTokenizerWrapper",
            ["encoding_name"] = "cl100k_base",
            ["add_bos_token"] = false,
            ["eos_token"] = "<|endoftext|>",
            ["pad_token"] = "<|pad|>",
            ["added_tokens_decoder"] = added,
        };
    }

    static void WriteWeights(string directory, List<SafetensorsTensor> tensors, int numShards)
    {
        if (numShards <= 1)
        {
            SafetensorsWriter.Write(Path.Combine(directory, SafetensorsCheckpoint.SingleFileName), tensors);
            return;
        }
        var weightMap = new JsonObject();
        var perShard = (tensors.Count + numShards - 1) / numShards;
        for (var shard = 0; shard < numShards; shard++)
        {
            var file = $"model-{shard + 1:D5}-of-{numShards:D5}.safetensors";
            var part = tensors.Skip(shard * perShard).Take(perShard).ToList();
            SafetensorsWriter.Write(Path.Combine(directory, file), part);
            foreach (var t in part) weightMap[t.Name] = file;
        }
        WriteJson(Path.Combine(directory, SafetensorsCheckpoint.IndexFileName), new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = tensors.Sum(t => t.Data.LongLength) },
            ["weight_map"] = weightMap,
        });
    }

    static void WriteJson(string path, JsonNode node) =>
        File.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    // Box-Muller: one standard normal per call from two uniforms.
    static double Normal(SequenceRandom random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
