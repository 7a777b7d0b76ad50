using System.Text;

namespace PathoFed;

/// <summary>Minimal RFC 4180 CSV: quoted fields with doubled quotes, CRLF or LF line ends.</summary>
public static class Csv
{
    public static List<string[]> Parse(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
                continue;
            }
            switch (c)
            {
                case '"': quoted = true; any = true; break;
                case ',': row.Add(field.ToString()); field.Clear(); any = true; break;
                case '\r': break;
                case '\n': EndRow(); break;
                default: field.Append(c); any = true; break;
            }
        }
        if (any || field.Length > 0) EndRow();
        return rows;

        void EndRow()
        {
            row.Add(field.ToString());
            rows.Add(row.ToArray());
            row.Clear();
            field.Clear();
            any = false;
        }
    }

    /// <summary>Quotes a field when it holds a comma, quote or line break.</summary>
    public static string Escape(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;

    public static string FormatRow(IEnumerable<string> fields) => string.Join(',', fields.Select(Escape));
}
