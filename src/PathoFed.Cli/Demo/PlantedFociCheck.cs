using System.Globalization;
using PathoFed.Mil.Evaluation;
using PathoFed.Mil.Experiments;
using PathoFed.Slides.Synthetic;

namespace PathoFed.Cli.Demo;

/// <summary>How well a tumour slide's heatmap finds its planted foci: the ROC AUC of the patch scores, patches whose centre lies in a focus being positive.</summary>
internal sealed record FociAgreement(string SlideId, int Patches, int InFoci, double Auc);

/// <summary>
/// Checks heatmaps against the synthetic cohort's ground truth (<c>foci.csv</c>: one ellipse per tumour focus, level-0
/// pixels): a model that learnt the planted morphology attends to the foci, not to the stain or the slide's shape.
/// </summary>
internal static class PlantedFociCheck
{
    private sealed record Ellipse(double CenterX, double CenterY, double RadiusX, double RadiusY)
    {
        public bool Contains(double x, double y) => Math.Pow((x - CenterX) / RadiusX, 2) + Math.Pow((y - CenterY) / RadiusY, 2) <= 1;
    }

    /// <summary>One agreement per slide that has foci and a patch-score table with patches both inside and outside them.</summary>
    public static async Task<IReadOnlyList<FociAgreement>> MeasureAsync(string fociCsv, Func<string, string> patchScoresOf, CancellationToken cancellationToken)
    {
        var agreements = new List<FociAgreement>();
        foreach (var slide in ReadFoci(fociCsv))
        {
            string table = patchScoresOf(slide.Key);
            if (!File.Exists(table)) continue;
            PatchScoreTable.Content scores = await PatchScoreTable.ReadAsync(table, cancellationToken);
            double half = scores.Geometry.Level0PatchSize / 2.0;
            bool[] inFocus = [.. scores.Patches.Select(p => slide.Value.Any(focus => focus.Contains(p.Level0X + half, p.Level0Y + half)))];
            int positives = inFocus.Count(inside => inside);
            if (positives == 0 || positives == inFocus.Length) continue;
            double auc = ClassificationMetrics.RocAuc([.. scores.Scores.Select(s => (double)s)], inFocus);
            agreements.Add(new FociAgreement(slide.Key, inFocus.Length, positives, auc));
        }
        return agreements;
    }

    private static Dictionary<string, List<Ellipse>> ReadFoci(string path)
    {
        List<string[]> rows = Csv.Parse(File.ReadAllText(path));
        string[] header = rows[0];
        int Column(string name) => Array.IndexOf(header, name) is >= 0 and var i ? i : throw new InvalidDataException($"'{path}' has no '{name}' column");
        int slide = Column("slide_id"), x = Column("center_x"), y = Column("center_y"), rx = Column("radius_x"), ry = Column("radius_y");
        static double Number(string field) => double.Parse(field, CultureInfo.InvariantCulture);
        return rows.Skip(1).Where(row => row.Length == header.Length)
            .GroupBy(row => row[slide], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(row => new Ellipse(Number(row[x]), Number(row[y]), Number(row[rx]), Number(row[ry]))).ToList(), StringComparer.Ordinal);
    }
}
