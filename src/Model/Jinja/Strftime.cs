using System.Globalization;
using System.Text;

namespace Rex.Model.Jinja;

/// <summary>
/// C's strftime in the C locale, which Python's datetime.strftime calls: %Y %m %d %H %M %S %y %b %B %a %A %j %p %I %e
/// %z %u %w %F %T %D %R %c %%, and glibc's `-` flag that drops the padding (%-d). Other directives stay as written.
/// </summary>
internal static class Strftime
{
    public static string Format(DateTimeOffset time, string format)
    {
        var text = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length)
            {
                text.Append(format[i]);
                continue;
            }
            var unpadded = format[i + 1] == '-' && i + 2 < format.Length;
            var directive = format[i + (unpadded ? 2 : 1)];
            var expansion = Expand(time, directive);
            if (expansion is null)
            {
                text.Append(format[i]);
                continue;
            }
            text.Append(unpadded ? Unpadded(expansion) : expansion);
            i += unpadded ? 2 : 1;
        }
        return text.ToString();
    }

    // glibc's %-d: the number without its leading zeros or spaces ("0" stays).
    static string Unpadded(string number) => number.TrimStart('0', ' ') is { Length: > 0 } digits ? digits : "0";

    static string? Expand(DateTimeOffset time, char directive)
    {
        var c = CultureInfo.InvariantCulture;
        return directive switch
        {
            'Y' => time.Year.ToString(c),
            'y' => (time.Year % 100).ToString("00", c),
            'm' => time.Month.ToString("00", c),
            'd' => time.Day.ToString("00", c),
            'e' => time.Day.ToString(c).PadLeft(2),
            'H' => time.Hour.ToString("00", c),
            'I' => ((time.Hour + 11) % 12 + 1).ToString("00", c),
            'M' => time.Minute.ToString("00", c),
            'S' => time.Second.ToString("00", c),
            'p' => time.Hour < 12 ? "AM" : "PM",
            'j' => time.DayOfYear.ToString("000", c),
            'a' => time.ToString("ddd", c),
            'A' => time.ToString("dddd", c),
            'b' or 'h' => time.ToString("MMM", c),
            'B' => time.ToString("MMMM", c),
            'u' => (time.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)time.DayOfWeek).ToString(c),
            'w' => ((int)time.DayOfWeek).ToString(c),
            'z' => (time.Offset < TimeSpan.Zero ? "-" : "+") + time.Offset.ToString("hhmm", c),
            'F' => Format(time, "%Y-%m-%d"),
            'T' => Format(time, "%H:%M:%S"),
            'D' => Format(time, "%m/%d/%y"),
            'R' => Format(time, "%H:%M"),
            'c' => Format(time, "%a %b %e %H:%M:%S %Y"),
            'n' => "\n",
            't' => "\t",
            '%' => "%",
            _ => null,
        };
    }
}
