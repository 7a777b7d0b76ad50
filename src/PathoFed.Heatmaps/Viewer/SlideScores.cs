using System.Globalization;

namespace PathoFed.Heatmaps.Viewer;

/// <summary>One slide's line of <c>scores.csv</c>.</summary>
/// <param name="Values">The p_&lt;class&gt; probabilities or the risk, by column name; null where the slide was skipped.</param>
/// <param name="RankValue">The value slides are sorted by (see <see cref="SlideScores.RankColumn"/>); null when skipped.</param>
internal sealed record SlideScoreRow(string Model, string Status, string Prediction, IReadOnlyDictionary<string, double?> Values, string Reason, double? RankValue);

/// <summary>
/// <c>scores.csv</c> as <c>pathofed score</c> writes it (slide_id, model, status, prediction, p_&lt;class&gt;... or risk,
/// reason), keyed by slide id. Slides are ranked by the risk, or by the probability of the last class (the positive
/// class of a binary task, e.g. p_tumor after p_normal).
/// </summary>
internal sealed class SlideScores
{
    public const string FileName = "scores.csv";

    private readonly Dictionary<string, SlideScoreRow> _rows;

    private SlideScores(Dictionary<string, SlideScoreRow> rows, string? rankColumn)
    {
        _rows = rows;
        RankColumn = rankColumn;
    }

    public static SlideScores Empty { get; } = new(new Dictionary<string, SlideScoreRow>(StringComparer.Ordinal), null);

    /// <summary>The column slides are sorted by, highest first: <c>risk</c> or the last <c>p_</c> column; null without scores.</summary>
    public string? RankColumn { get; }

    public SlideScoreRow? For(string slideId) => _rows.GetValueOrDefault(slideId);

    /// <summary>Reads <c>scores.csv</c> in <paramref name="resultsFolder"/>; a missing file means no slide has scores yet.</summary>
    /// <exception cref="HeatmapException">The file exists but is not a scores table.</exception>
    public static SlideScores Read(string resultsFolder)
    {
        string path = Path.Combine(resultsFolder, FileName);
        if (!File.Exists(path)) return Empty;
        List<string[]> lines = Csv.Parse(File.ReadAllText(path));
        if (lines.Count == 0) return Empty;

        string[] header = [.. lines[0].Select(h => h.Trim())];
        int Column(string name) => Array.IndexOf(header, name);
        int idColumn = Column("slide_id");
        if (idColumn < 0) throw new HeatmapException($"'{path}' has no slide_id column (columns: {string.Join(", ", header)}); pass the folder 'pathofed score' wrote.");
        int[] valueColumns = [.. Enumerable.Range(0, header.Length).Where(c => header[c] == "risk" || header[c].StartsWith("p_", StringComparison.Ordinal))];
        string? rankColumn = Array.IndexOf(header, "risk") >= 0 ? "risk" : valueColumns.Length > 0 ? header[valueColumns[^1]] : null;

        var rows = new Dictionary<string, SlideScoreRow>(StringComparer.Ordinal);
        for (int line = 1; line < lines.Count; line++)
        {
            string[] cells = lines[line];
            string Cell(int column) => column >= 0 && column < cells.Length ? cells[column].Trim() : "";
            string id = Cell(idColumn);
            if (id.Length == 0) continue;
            var values = new Dictionary<string, double?>(StringComparer.Ordinal);
            foreach (int column in valueColumns) values[header[column]] = ParseOrNull(Cell(column));
            double? rank = rankColumn is null ? null : values[rankColumn];
            rows[id] = new SlideScoreRow(Cell(Column("model")), Cell(Column("status")), Cell(Column("prediction")), values, Cell(Column("reason")), rank);
        }
        return new SlideScores(rows, rankColumn);
    }

    private static double? ParseOrNull(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) ? value : null;
}
