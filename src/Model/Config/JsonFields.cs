using System.Text.Json;

namespace Rex.Model.Config;

/// <summary>Typed reads of optional JSON fields that fail with the file and the dotted field path.</summary>
internal readonly struct JsonFields(JsonElement element, string source, string prefix)
{
    public JsonFields? Object(string name)
    {
        if (!element.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Object) throw Error(name, "must be an object");
        return new JsonFields(v, source, Path(name) + ".");
    }

    public int Int(string name, int fallback)
    {
        if (!element.TryGetProperty(name, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i)) return i;
        // Python writes integral floats as 64.0 in some configs; accept them, reject 64.5.
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue)
            return (int)d;
        throw Error(name, $"must be an integer, got {v.GetRawText()}");
    }

    /// <summary>Absent or null: null.</summary>
    public int? NullableInt(string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? Int(name, 0) : null;

    /// <summary>A list of integers, or the fallback when absent or null.</summary>
    public IReadOnlyList<int> IntList(string name, IReadOnlyList<int> fallback)
    {
        if (!element.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind != JsonValueKind.Array) throw Error(name, $"must be a list of integers, got {v.GetRawText()}");
        var list = new List<int>();
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var i)) throw Error(name, $"must hold integers, got {item.GetRawText()}");
            list.Add(i);
        }
        return list;
    }

    public double Double(string name, double fallback) => NullableDouble(name, fallback) ?? fallback;

    /// <summary>Absent: the fallback. Explicit null: null.</summary>
    public double? NullableDouble(string name, double? fallback)
    {
        if (!element.TryGetProperty(name, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        throw Error(name, $"must be a number or null, got {v.GetRawText()}");
    }

    public bool Bool(string name, bool fallback)
    {
        if (!element.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(name, $"must be true or false, got {v.GetRawText()}"),
        };
    }

    public string? String(string name)
    {
        if (!element.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw Error(name, $"must be a string, got {v.GetRawText()}");
        return v.GetString();
    }

    /// <summary>An integer or a list of integers (as `eos_token_id` is written), or null when absent.</summary>
    public IReadOnlyList<int>? IntOrIntList(string name)
    {
        if (!element.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var one)) return [one];
        if (v.ValueKind == JsonValueKind.Array)
        {
            var list = new List<int>();
            foreach (var item in v.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var id))
                    throw Error(name, $"must hold integers, got {item.GetRawText()}");
                list.Add(id);
            }
            return list;
        }
        throw Error(name, $"must be an integer or a list of integers, got {v.GetRawText()}");
    }

    public JsonElement Element => element;

    /// <summary>The file the fields come from.</summary>
    public string Source => source;

    public ModelConfigException Error(string name, string rule) => new($"{source}: {Path(name)} {rule}");

    string Path(string name) => prefix + name;

    public static JsonDocument Parse(string path)
    {
        if (!File.Exists(path)) throw new ModelConfigException($"{path}: file not found");
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ModelConfigException($"{path}: invalid JSON: {e.Message}", e);
        }
    }
}
