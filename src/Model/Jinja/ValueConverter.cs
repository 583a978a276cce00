using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rex.Model.Jinja;

/// <summary>
/// Turns the variables a caller passes (strings, numbers, bools, null, dictionaries, lists, System.Text.Json
/// documents) into template values, as Python would hold the same data after json.loads.
/// </summary>
internal static class ValueConverter
{
    public static Value From(object? value) => value switch
    {
        null => NoneValue.Instance,
        Value already => already,
        string text => new StringValue(text),
        char c => new StringValue(c.ToString()),
        bool flag => Value.From(flag),
        int or long or short or byte or sbyte or uint or ushort => new IntValue(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)),
        ulong big when big <= long.MaxValue => new IntValue((long)big),
        double or float or decimal => new FloatValue(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)),
        JsonElement element => FromJson(element),
        JsonNode node => FromJson(JsonSerializer.SerializeToElement(node)),
        IReadOnlyDictionary<string, object?> map => Dict(map.Select(e => new KeyValuePair<object?, object?>(e.Key, e.Value))),
        IDictionary map => Dict(Entries(map)),
        IEnumerable items => new ListValue([.. items.Cast<object?>().Select(From)]),
        _ => throw new ArgumentException($"a {value.GetType().Name} cannot be a template value (use strings, numbers, bools, lists, dictionaries or JSON)"),
    };

    static DictValue Dict(IEnumerable<KeyValuePair<object?, object?>> entries) =>
        new(entries.Select(e => new KeyValuePair<Value, Value>(From(e.Key), From(e.Value))));

    // A dictionary's IEnumerable yields KeyValuePairs of its own types; its IDictionaryEnumerator yields keys and values.
    static IEnumerable<KeyValuePair<object?, object?>> Entries(IDictionary map)
    {
        var entry = map.GetEnumerator();
        while (entry.MoveNext()) yield return new(entry.Key, entry.Value);
    }

    static Value FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => new DictValue(element.EnumerateObject().Select(p => new KeyValuePair<Value, Value>(new StringValue(p.Name), FromJson(p.Value)))),
        JsonValueKind.Array => new ListValue([.. element.EnumerateArray().Select(FromJson)]),
        JsonValueKind.String => new StringValue(element.GetString()!),
        JsonValueKind.True => BoolValue.True,
        JsonValueKind.False => BoolValue.False,
        // As json.loads: a number written with a point or an exponent is a float, otherwise an int.
        JsonValueKind.Number when element.GetRawText().AsSpan().IndexOfAny(".eE") < 0 && element.TryGetInt64(out var integer) => new IntValue(integer),
        JsonValueKind.Number => new FloatValue(element.GetDouble()),
        _ => NoneValue.Instance,
    };
}
