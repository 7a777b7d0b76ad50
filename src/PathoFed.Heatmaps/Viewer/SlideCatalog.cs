using PathoFed.Mil.Experiments;
using PathoFed.Slides.Tiling;

namespace PathoFed.Heatmaps.Viewer;

/// <summary>A slide the viewer serves: its id, its file (found by enumeration, never from a request) and its scores.</summary>
internal sealed record ViewerSlide(string SlideId, string Path, SlideScoreRow? Score);

/// <summary>
/// The slides of the configured folder and their results, fixed when the viewer starts. This is the security boundary:
/// a browser-supplied id is only ever a key into <see cref="Find"/>, and every file served comes from this enumeration
/// or from a name built from such an id inside the results folder.
/// </summary>
internal sealed class SlideCatalog
{
    private readonly Dictionary<string, ViewerSlide> _byId;
    private readonly string _patchScoresFolder;

    private SlideCatalog(IReadOnlyList<ViewerSlide> slides, string resultsFolder, string? rankColumn)
    {
        Slides = slides;
        RankColumn = rankColumn;
        _byId = slides.ToDictionary(s => s.SlideId, StringComparer.Ordinal);
        _patchScoresFolder = Path.GetFullPath(Path.Combine(resultsFolder, MilScoring.PatchScoresFolderName));
    }

    /// <summary>Every slide, highest rank value first, slides without scores last, ties by id.</summary>
    public IReadOnlyList<ViewerSlide> Slides { get; }

    /// <inheritdoc cref="SlideScores.RankColumn"/>
    public string? RankColumn { get; }

    /// <exception cref="HeatmapException">The slides cannot be listed or scores.csv is malformed.</exception>
    public static SlideCatalog Load(string slidesFolder, string resultsFolder)
    {
        IReadOnlyList<SlideSource> sources;
        try
        {
            sources = SlideInputs.Resolve([Path.GetFullPath(slidesFolder)]);
        }
        catch (SlideInputException e)
        {
            throw new HeatmapException($"The slides in '{slidesFolder}' cannot be listed: {e.Message}", e);
        }
        SlideScores scores = SlideScores.Read(resultsFolder);
        ViewerSlide[] slides =
        [
            .. sources.Select(s => new ViewerSlide(s.SlideId, Path.GetFullPath(s.Path), scores.For(s.SlideId)))
                .OrderBy(s => s.Score?.RankValue is null ? 1 : 0)
                .ThenByDescending(s => s.Score?.RankValue ?? 0)
                .ThenBy(s => s.SlideId, StringComparer.Ordinal),
        ];
        return new SlideCatalog(slides, resultsFolder, scores.RankColumn);
    }

    /// <summary>The slide with exactly this id, or null: ids are looked up, never turned into paths.</summary>
    public ViewerSlide? Find(string? slideId) => slideId is not null && _byId.TryGetValue(slideId, out ViewerSlide? slide) ? slide : null;

    /// <summary>The slide's <c>patch-scores/&lt;id&gt;.parquet</c> when it exists (and lies in that folder), else null.</summary>
    public string? PatchScoresPath(ViewerSlide slide)
    {
        string path = Path.GetFullPath(Path.Combine(_patchScoresFolder, slide.SlideId + ".parquet"));
        // Ids come from file names, so they cannot hold a separator; checked anyway because this is the line that guards the folder.
        bool inside = string.Equals(Path.GetDirectoryName(path), _patchScoresFolder, StringComparison.Ordinal);
        return inside && File.Exists(path) ? path : null;
    }
}
