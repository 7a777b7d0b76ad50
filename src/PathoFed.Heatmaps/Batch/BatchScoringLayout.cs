using PathoFed.Heatmaps.Reports;
using PathoFed.Heatmaps.Viewer;
using PathoFed.Mil.Experiments;

namespace PathoFed.Heatmaps.Batch;

/// <summary>
/// Where a batch run keeps everything, under one output folder that any number of shards share:
/// <list type="bullet">
/// <item><c>features/&lt;slide&gt;/</c>: tiling and <c>features.parquet</c> (as <c>pathofed embed</c> writes them, so <c>pathofed train</c> reads them);</item>
/// <item><c>patch-scores/&lt;slide&gt;.parquet</c> and <c>scores.csv</c> (as <c>pathofed score</c> writes them, so <c>pathofed view --results</c> reads them);</item>
/// <item><c>heatmaps/&lt;slide&gt;/</c>: <c>pathofed heatmap</c>'s files;</item>
/// <item><c>state/&lt;slide&gt;.json</c>: each slide's outcome, written last, from which the tables and the report are rebuilt;</item>
/// <item><c>errors.csv</c> and <c>report.html</c>.</item>
/// </list>
/// </summary>
public sealed class BatchScoringLayout(string outputFolder)
{
    public string Root { get; } = Path.GetFullPath(outputFolder);

    public string FeaturesFolder => Path.Combine(Root, "features");

    public string PatchScoresFolder => Path.Combine(Root, MilScoring.PatchScoresFolderName);

    public string HeatmapsFolder => Path.Combine(Root, "heatmaps");

    public string StateFolder => Path.Combine(Root, "state");

    public string ScoresCsv => Path.Combine(Root, SlideScores.FileName);

    public string ErrorsCsv => Path.Combine(Root, PathoFed.Slides.Batches.SlideBatch.ErrorsFileName);

    public string Report => Path.Combine(Root, BatchReport.FileName);

    /// <summary>Held while the shared tables are rebuilt, so that shards finishing together do not interleave.</summary>
    public string PublishLock => Path.Combine(Root, ".publish.lock");

    /// <summary>A slide's tiling and features.parquet, as <c>pathofed embed</c> lays them out.</summary>
    public string Features(string slideId) => Path.Combine(FeaturesFolder, slideId);

    public string PatchScores(string slideId) => Path.Combine(PatchScoresFolder, slideId + ".parquet");

    public string Heatmap(string slideId) => Path.Combine(HeatmapsFolder, slideId);

    public string State(string slideId) => Path.Combine(StateFolder, slideId + ".json");

    /// <summary>
    /// Deletes the temporary files a killed run left in the places only <paramref name="slideId"/>'s processing writes
    /// (its features and heatmap folders, its patch scores and state record); other shards' files are never touched.
    /// </summary>
    public void RemoveLeftoversOf(string slideId)
    {
        AtomicFile.RemoveLeftoversIn(Features(slideId));
        AtomicFile.RemoveLeftoversIn(Heatmap(slideId));
        AtomicFile.RemoveLeftoversOf(PatchScores(slideId));
        AtomicFile.RemoveLeftoversOf(State(slideId));
    }

    /// <summary>Deletes the temporary files of interrupted writes of the shared tables; call under <see cref="PublishLock"/>.</summary>
    public void RemoveSharedLeftovers()
    {
        foreach (string table in new[] { ScoresCsv, ErrorsCsv, Report }) AtomicFile.RemoveLeftoversOf(table);
    }

    public void Create()
    {
        foreach (string folder in new[] { FeaturesFolder, PatchScoresFolder, HeatmapsFolder, StateFolder }) Directory.CreateDirectory(folder);
    }
}
