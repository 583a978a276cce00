using System.Text;

namespace Rex.Model.Jinja;

/// <summary>markupsafe's escaping, which `|escape` applies and a safe string applies to plain strings added to it.</summary>
internal static class Markup
{
    /// <summary>The text of a value as markup: a safe string as it is, anything else HTML-escaped.</summary>
    public static string Escape(Value value) => value is StringValue { IsMarkup: true } safe
        ? safe.Value
        : new StringBuilder(value.ToString()!).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;")
            .Replace("\"", "&#34;").Replace("'", "&#39;").ToString();
}
