using PathoFed.Mil.Evaluation;
using PathoFed.Mil.Experiments;
using PathoFed.Slides.Synthetic;

namespace PathoFed.Cli.Demo;

/// <summary>How well a tumour slide's heatmap finds its planted foci: the ROC AUC of the patch scores, patches whose centre lies in a focus being positive.</summary>
internal sealed record FociAgreement(string SlideId, int Patches, int InFoci, double Auc);

/// <summary>
/// Checks heatmaps against the synthetic cohort's ground truth (each slide's tumour foci, the ellipses it was drawn with,
/// level-0 pixels): a model that learnt the planted morphology attends to the foci, not to the stain or the slide's shape.
/// </summary>
internal static class PlantedFociCheck
{
    /// <summary>One agreement per slide that has foci and a patch-score table with patches both inside and outside them.</summary>
    public static async Task<IReadOnlyList<FociAgreement>> MeasureAsync(IEnumerable<SyntheticCohortSlide> slides, Func<string, string> patchScoresOf, CancellationToken cancellationToken)
    {
        var agreements = new List<FociAgreement>();
        foreach (SyntheticCohortSlide slide in slides.Where(s => s.Spec.TumourFoci.Count > 0))
        {
            string table = patchScoresOf(slide.SlideId);
            if (!File.Exists(table)) continue;
            PatchScoreTable.Content scores = await PatchScoreTable.ReadAsync(table, cancellationToken);
            double half = scores.Geometry.Level0PatchSize / 2.0;
            bool[] inFocus = [.. scores.Patches.Select(p => slide.Spec.TumourFoci.Any(focus => focus.Contains(p.Level0X + half, p.Level0Y + half)))];
            int positives = inFocus.Count(inside => inside);
            if (positives == 0 || positives == inFocus.Length) continue;
            double auc = ClassificationMetrics.RocAuc([.. scores.Scores.Select(s => (double)s)], inFocus);
            agreements.Add(new FociAgreement(slide.SlideId, inFocus.Length, positives, auc));
        }
        return agreements;
    }
}
