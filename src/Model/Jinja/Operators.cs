namespace Rex.Model.Jinja;

/// <summary>
/// Python's operators on template values: int arithmetic stays int (failing on 64-bit overflow), / is always float,
/// // and % floor toward negative infinity, + joins strings and lists, * repeats them, % formats strings, ~ joins
/// the str() of anything. Undefined in arithmetic or ordering fails, as jinja2's Undefined does.
/// </summary>
internal static class Operators
{
    public static Value Binary(string op, Value left, Value right)
    {
        if (op == "~") return new StringValue(left.ToString() + right.ToString());
        // str % anything formats, Undefined included (it formats as "").
        if (op == "%" && left is StringValue format) return new StringValue(PrintfFormat.Apply(format.Value, right));
        FailIfUndefined(left);
        FailIfUndefined(right);
        if (op == "/" && right.TryGetNumber(out var divisor) && divisor == 0 && left.TryGetNumber(out _))
            throw new JinjaRenderException(left is FloatValue || right is FloatValue ? "float division by zero" : "division by zero");
        try
        {
            if (left.TryGetInteger(out var a) && right.TryGetInteger(out var b) && op != "/") return Integer(op, a, b);
            if (left.TryGetNumber(out var x) && right.TryGetNumber(out var y)) return new FloatValue(Float(op, x, y));
        }
        catch (OverflowException)
        {
            throw new JinjaRenderException($"integer overflow in {left.Repr()} {op} {right.Repr()}");
        }
        return (op, left, right) switch
        {
            ("+", StringValue l, StringValue r) when l.IsMarkup || r.IsMarkup =>
                new StringValue(Markup.Escape(l) + Markup.Escape(r), isMarkup: true),
            ("+", StringValue l, StringValue r) => new StringValue(l.Value + r.Value),
            ("+", StringValue, _) => throw new JinjaRenderException($"can only concatenate str (not \"{right.TypeName}\") to str"),
            ("+", ListValue l, ListValue r) when l.Kind == r.Kind && l.Kind != SequenceKind.Generator =>
                new ListValue([.. l.Items, .. r.Items], l.Kind),
            ("+", ListValue { Kind: not SequenceKind.Generator } l, _) =>
                throw new JinjaRenderException($"can only concatenate {l.TypeName} (not \"{right.TypeName}\") to {l.TypeName}"),
            ("*", _, _) when (Repeat(left, right) ?? Repeat(right, left)) is { } repeated => repeated,
            _ => throw new JinjaRenderException($"unsupported operand type(s) for {op}: '{left.TypeName}' and '{right.TypeName}'"),
        };
    }

    public static Value Unary(string op, Value operand)
    {
        FailIfUndefined(operand);
        if (operand.TryGetInteger(out var integer))
        {
            if (op == "+") return new IntValue(integer);
            return integer == long.MinValue ? throw new JinjaRenderException("integer overflow") : new IntValue(-integer);
        }
        if (operand is FloatValue number) return op == "-" ? new FloatValue(-number.Value) : number;
        throw new JinjaRenderException($"bad operand type for unary {op}: '{operand.TypeName}'");
    }

    /// <summary>One comparison of a chain: == != &lt; &gt; &lt;= &gt;= in, notin.</summary>
    public static bool Compare(string op, Value left, Value right) => op switch
    {
        "==" => left.EqualTo(right),
        "!=" => !left.EqualTo(right),
        "in" => Contains(right, left),
        "notin" => !Contains(right, left),
        _ => Order(left, right, op) switch
        {
            var c when op == "<" => c < 0,
            var c when op == ">" => c > 0,
            var c when op == "<=" => c <= 0,
            var c => c >= 0,
        },
    };

    /// <summary>Python's ordering of two values (numbers, strings, lists and tuples), for comparisons, sort and min/max.</summary>
    public static int Order(Value left, Value right, string op = "<")
    {
        FailIfUndefined(left);
        FailIfUndefined(right);
        if (left.TryGetInteger(out var a) && right.TryGetInteger(out var b)) return a.CompareTo(b);
        if (left.TryGetNumber(out var x) && right.TryGetNumber(out var y)) return x.CompareTo(y);
        if (left is StringValue l && right is StringValue r) return Math.Sign(string.CompareOrdinal(l.Value, r.Value));
        if (left is ListValue p && right is ListValue q && p.Kind == q.Kind && p.Kind != SequenceKind.Generator)
        {
            for (var i = 0; i < Math.Min(p.Items.Count, q.Items.Count); i++)
                if (!p.Items[i].EqualTo(q.Items[i])) return Order(p.Items[i], q.Items[i], op);
            return p.Items.Count.CompareTo(q.Items.Count);
        }
        throw new JinjaRenderException($"'{op}' not supported between instances of '{left.TypeName}' and '{right.TypeName}'");
    }

    /// <summary>
    /// A stable sort by Python's ordering, as sorted() does (reverse=True keeps equal items in their order too).
    /// Equal keys are never ordered, so keys that cannot be ordered but are equal (two Undefined) do not fail.
    /// </summary>
    public static List<T> Sorted<T>(IEnumerable<T> items, Func<T, Value> key, bool descending = false)
    {
        var comparer = Comparer<Value>.Create((a, b) => a.EqualTo(b) ? 0 : Order(a, b));
        try
        {
            return descending ? [.. items.OrderByDescending(key, comparer)] : [.. items.OrderBy(key, comparer)];
        }
        catch (InvalidOperationException e) when (e.InnerException is JinjaRenderException failure)
        {
            // The sort wraps what the comparison threw; the comparison's own error says what could not be ordered.
            throw failure;
        }
    }

    /// <summary>`item in container`: a substring, a list member, a dict key.</summary>
    public static bool Contains(Value container, Value item) => container switch
    {
        StringValue text => item is StringValue part
            ? text.Value.Contains(part.Value, StringComparison.Ordinal)
            : throw new JinjaRenderException($"'in <string>' requires string as left operand, not {item.TypeName}"),
        DictValue dict => dict.Entries.ContainsKey(item),
        _ => (container.Iterate() ?? throw new JinjaRenderException($"argument of type '{container.TypeName}' is not iterable"))
            .Any(member => member.EqualTo(item)),
    };

    public static void FailIfUndefined(Value value)
    {
        if (value is UndefinedValue undefined) throw new JinjaRenderException(undefined.Hint);
    }

    static Value Integer(string op, long a, long b) => op switch
    {
        "+" => new IntValue(checked(a + b)),
        "-" => new IntValue(checked(a - b)),
        "*" => new IntValue(checked(a * b)),
        "//" => new IntValue(FloorDivide(a, b)),
        "%" => b == 0 ? throw new JinjaRenderException("integer modulo by zero") : new IntValue(checked(a - FloorDivide(a, b) * b)),
        "**" => b >= 0 ? new IntValue(Power(a, b)) : new FloatValue(FloatPower(a, b)),
        _ => throw new JinjaRenderException($"unsupported operand type(s) for {op}: 'int' and 'int'"),
    };

    static long FloorDivide(long a, long b)
    {
        if (b == 0) throw new JinjaRenderException("integer division or modulo by zero");
        var quotient = checked(a / b);
        return a % b != 0 && (a < 0) != (b < 0) ? quotient - 1 : quotient;
    }

    // Exponentiation by squaring, failing on overflow instead of wrapping.
    static long Power(long a, long b)
    {
        long result = 1;
        while (b > 0)
        {
            if ((b & 1) == 1) result = checked(result * a);
            b >>= 1;
            if (b > 0) a = checked(a * a);
        }
        return result;
    }

    static double Float(string op, double x, double y) => op switch
    {
        "+" => x + y,
        "-" => x - y,
        "*" => x * y,
        "/" => x / y,
        "//" => y == 0 ? throw new JinjaRenderException("float floor division by zero") : Math.Floor(x / y),
        "%" => y == 0 ? throw new JinjaRenderException("float modulo") : FloorModulo(x, y),
        "**" => FloatPower(x, y),
        _ => throw new JinjaRenderException($"unsupported operand type(s) for {op}: 'float' and 'float'"),
    };

    // CPython's float %: C's fmod, moved into the divisor's sign (a zero takes the divisor's sign too).
    static double FloorModulo(double x, double y)
    {
        var remainder = x % y;
        if (remainder == 0) return Math.CopySign(0, y);
        return remainder < 0 != y < 0 ? remainder + y : remainder;
    }

    // Python's float **: errors where C's pow would quietly give inf or nan.
    static double FloatPower(double x, double y)
    {
        if (x == 0 && y < 0) throw new JinjaRenderException("0.0 cannot be raised to a negative power");
        var power = Math.Pow(x, y);
        if (double.IsNaN(power) && !double.IsNaN(x) && !double.IsNaN(y))
            throw new JinjaRenderException("a negative number raised to a fractional power is complex, which is not supported");
        if (double.IsInfinity(power) && double.IsFinite(x) && double.IsFinite(y)) throw new JinjaRenderException("Numerical result out of range");
        return power;
    }

    // str * n and list * n (n <= 0 gives an empty one), or null when the operands are not a sequence and an int.
    static Value? Repeat(Value sequence, Value count)
    {
        if (count is FloatValue || !count.TryGetInteger(out var n)) return null;
        var times = (int)Math.Clamp(n, 0, int.MaxValue);
        return sequence switch
        {
            StringValue text => new StringValue(string.Concat(Enumerable.Repeat(text.Value, times))),
            ListValue { Kind: not SequenceKind.Generator } list => new ListValue([.. Enumerable.Repeat(list.Items, times).SelectMany(i => i)], list.Kind),
            _ => null,
        };
    }
}
