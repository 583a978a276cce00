using System.Text.Json;
using System.Text.Json.Nodes;
using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Sampling;

namespace Rex.Model.TinyModel;

/// <summary>
/// Writes a model directory of any supported family with deterministic random weights: the given config.json and
/// every tensor it implies (<see cref="ModelTensors"/>) as safetensors, in one file or shards. The same seed and
/// config give the same bytes on every machine.
/// </summary>
public static class RandomCheckpoint
{
    public sealed record Options
    {
        public long Seed { get; init; } = 1;

        /// <summary>Safetensors dtype of the weights: BF16, F16 or F32.</summary>
        public string DType { get; init; } = "BF16";

        /// <summary>1 writes model.safetensors; more writes that many shards and model.safetensors.index.json.</summary>
        public int NumShards { get; init; } = 1;

        /// <summary>Scale of the QKV projections; null: large enough that some activations exceed clip_qkv when the model clips.</summary>
        public double? QkvScale { get; init; }
    }

    /// <summary>Writes config.json and the weights; returns the config as Rex reads it.</summary>
    public static ModelConfig Write(string directory, JsonObject configJson, Options options)
    {
        Directory.CreateDirectory(directory);
        WriteJson(Path.Combine(directory, ModelConfigReader.FileName), configJson);
        var config = ModelConfigReader.ReadDirectory(directory);
        var random = new SequenceRandom(options.Seed);
        var tensors = ModelTensors.All(config, options.QkvScale).Select(Tensor).ToList();
        WriteWeights(directory, tensors, options.NumShards);
        return config;

        SafetensorsTensor Tensor(ModelTensors.TensorSpec tensor)
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

    public static void WriteJson(string path, JsonNode node) =>
        File.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

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

    // Box-Muller: one standard normal per call from two uniforms.
    static double Normal(SequenceRandom random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
