using System.Text;

namespace PathoFed.Heatmaps.Reports;

/// <summary>Escaping for text and double-quoted attribute values, and relative links that survive any file name.</summary>
internal static class Html
{
    /// <summary>
    /// Escapes the five characters markup gives meaning to. Control characters other than tab and line breaks, which HTML
    /// forbids, become U+FFFD; everything else (accents, CJK) stays as UTF-8.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        StringBuilder? escaped = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            string? replacement = c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                '\t' or '\n' or '\r' => null,
                < ' ' or '\u007f' => "\uFFFD",
                _ => null,
            };
            if (replacement is null)
            {
                escaped?.Append(c);
                continue;
            }
            escaped ??= new StringBuilder(text.Length + 16).Append(text, 0, i);
            escaped.Append(replacement);
        }
        return escaped?.ToString() ?? text;
    }

    /// <summary>
    /// A relative URL from the report's folder to <paramref name="path"/>: '/' separators and every segment
    /// percent-encoded, so ids with '#', '?', '%' or spaces still link to their file. Not yet HTML-escaped.
    /// </summary>
    public static string RelativeUrl(string reportFolder, string path)
    {
        string relative = Path.GetRelativePath(reportFolder, Path.GetFullPath(Path.Combine(reportFolder, path)));
        string[] segments = relative.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar]);
        for (int i = 0; i < segments.Length; i++) segments[i] = Uri.EscapeDataString(segments[i]);
        return string.Join('/', segments);
    }
}
