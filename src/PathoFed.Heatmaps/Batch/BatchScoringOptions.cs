using PathoFed.Features.Pipeline;

namespace PathoFed.Heatmaps.Batch;

/// <summary>How a batch run embeds patches and draws heatmaps; tiling follows the extractor (its µm/px and input size).</summary>
public sealed record BatchScoringOptions
{
    public static BatchScoringOptions Default { get; } = new();

    public EmbeddingPipelineOptions Embedding { get; init; } = EmbeddingPipelineOptions.Default;

    public HeatmapColormap Colormap { get; init; } = HeatmapColormap.Jet;

    public HeatmapNormalization Normalization { get; init; } = HeatmapNormalization.Percentile;

    public bool Smooth { get; init; }

    /// <summary>Known class labels by slide id (classification): report.html then shows accuracy and AUC against them.</summary>
    public IReadOnlyDictionary<string, string>? TrueLabels { get; init; }

    /// <summary>The command line shown in report.html's header; null shows none.</summary>
    public string? Command { get; init; }

    /// <summary>The heatmap settings for one slide of the run.</summary>
    internal HeatmapOptions HeatmapFor(string slideId, string slidePath, string scoresPath, string outputFolder) => new HeatmapOptions
    {
        SlideId = slideId,
        SlidePath = slidePath,
        ScoresPath = scoresPath,
        OutputFolder = outputFolder,
        Colormap = Colormap,
        Normalization = Normalization,
        Smooth = Smooth,
    }.Validate();
}
