using System.Globalization;
using System.Text;

namespace Rex.Model.Jinja;

/// <summary>
/// Python's json.dumps, which Hugging Face's `tojson` filter calls with ensure_ascii=False: ", " and ": " between
/// items (",", ": " once indented), floats as Python writes them, only control characters, quotes and backslashes
/// escaped (with ensure_ascii, everything outside printable ASCII too).
/// </summary>
internal static class JsonDumps
{
    public sealed record Options(bool EnsureAscii, Value? Indent, Value? Separators, bool SortKeys);

    public static string Serialize(Value value, Options options)
    {
        var indent = options.Indent switch
        {
            null => null,
            StringValue text => text.Value,
            _ when options.Indent.TryGetInteger(out var width) => new string(' ', (int)Math.Clamp(width, 0, 1000)),
            _ => throw new JinjaRenderException("tojson: indent must be an integer or a string"),
        };
        var (item, key) = options.Separators switch
        {
            null => indent is null ? (", ", ": ") : (",", ": "),
            ListValue { Items: [StringValue i, StringValue k] } => (i.Value, k.Value),
            _ => throw new JinjaRenderException("tojson: separators must be a pair of strings"),
        };
        var json = new StringBuilder();
        new Writer(json, options, indent, item, key).Write(value, 0);
        return json.ToString();
    }

    sealed class Writer(StringBuilder json, Options options, string? indent, string itemSeparator, string keySeparator)
    {
        public void Write(Value value, int level)
        {
            switch (value)
            {
                case NoneValue: json.Append("null"); break;
                case BoolValue flag: json.Append(flag.Value ? "true" : "false"); break;
                case IntValue integer: json.Append(integer.ToString()); break;
                case FloatValue number: json.Append(Float(number.Value)); break;
                case StringValue text: String(text.Value); break;
                case ListValue { Kind: not SequenceKind.Generator } list:
                    Container('[', ']', list.Items, level, Write);
                    break;
                case DictValue dict:
                    var entries = options.SortKeys ? Operators.Sorted(dict.Entries, e => e.Key) : dict.Entries.AsEnumerable();
                    Container('{', '}', [.. entries], level, (entry, inner) =>
                    {
                        String(Key(entry.Key));
                        json.Append(keySeparator);
                        Write(entry.Value, inner);
                    });
                    break;
                default:
                    throw new JinjaRenderException($"Object of type {value.TypeName} is not JSON serializable");
            }
        }

        void Container<T>(char open, char close, IReadOnlyList<T> items, int level, Action<T, int> write)
        {
            json.Append(open);
            if (items.Count == 0)
            {
                json.Append(close);
                return;
            }
            var newline = indent is null ? "" : "\n" + string.Concat(Enumerable.Repeat(indent, level + 1));
            json.Append(newline);
            for (var i = 0; i < items.Count; i++)
            {
                if (i > 0) json.Append(itemSeparator).Append(newline);
                write(items[i], level + 1);
            }
            if (indent is not null) json.Append('\n').Append(string.Concat(Enumerable.Repeat(indent, level)));
            json.Append(close);
        }

        // json.dumps turns int, float, bool and None keys into strings; anything else is an error.
        static string Key(Value key) => key switch
        {
            StringValue text => text.Value,
            IntValue integer => integer.ToString(),
            FloatValue number => Float(number.Value),
            BoolValue flag => flag.Value ? "true" : "false",
            NoneValue => "null",
            _ => throw new JinjaRenderException($"keys must be str, int, float, bool or None, not {key.TypeName}"),
        };

        static string Float(double value) => double.IsNaN(value) ? "NaN"
            : double.IsInfinity(value) ? value > 0 ? "Infinity" : "-Infinity"
            : PythonText.Float(value);

        void String(string text)
        {
            json.Append('"');
            foreach (var c in text)
            {
                switch (c)
                {
                    case '"': json.Append("\\\""); break;
                    case '\\': json.Append("\\\\"); break;
                    case '\n': json.Append("\\n"); break;
                    case '\r': json.Append("\\r"); break;
                    case '\t': json.Append("\\t"); break;
                    case '\b': json.Append("\\b"); break;
                    case '\f': json.Append("\\f"); break;
                    case < ' ':
                    case > '~' when options.EnsureAscii:
                        json.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                        break;
                    default: json.Append(c); break;
                }
            }
            json.Append('"');
        }
    }
}
