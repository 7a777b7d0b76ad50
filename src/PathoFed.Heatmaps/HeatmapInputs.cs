using PathoFed.Mil.Experiments;
using PathoFed.Slides;
using PathoFed.Slides.Patching;

namespace PathoFed.Heatmaps;

/// <summary>Reads the score table and checks it against the slide before anything is drawn; every error names both files.</summary>
internal static class HeatmapInputs
{
    public static async Task<PatchScoreTable.Content> ReadScoresAsync(string scoresPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(scoresPath)) throw new HeatmapException($"Patch-score table '{scoresPath}' does not exist; write it with 'pathofed score --patch-scores DIR'.");
        try
        {
            return await PatchScoreTable.ReadAsync(scoresPath, cancellationToken).ConfigureAwait(false);
        }
        // Parquet.Net and System.Text.Json throw their own types on corrupt input; any of them means "not readable".
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new HeatmapException($"Patch-score table '{scoresPath}' cannot be read: {e.Message}", e);
        }
    }

    /// <exception cref="HeatmapException">The scores belong to another slide, are empty, not finite, or lie outside the slide.</exception>
    public static void Validate(PatchScoreTable.Content scores, SlideMetadata slide, string slidePath, string scoresPath, string expectedSlideId)
    {
        string files = $"scores '{scoresPath}', slide '{slidePath}'";
        if (!string.Equals(scores.SlideId, expectedSlideId, StringComparison.Ordinal))
        {
            throw new HeatmapException($"The patch scores are for slide '{scores.SlideId}', not '{expectedSlideId}' ({files}); pass the table of this slide, or its id if the slide was renamed.");
        }
        if (scores.Patches.Length == 0) throw new HeatmapException($"The patch-score table has no patches: nothing to draw ({files}).");
        if (scores.Patches.Length != scores.Scores.Length)
        {
            throw new HeatmapException($"The patch-score table has {scores.Patches.Length} patches but {scores.Scores.Length} scores ({files}).");
        }

        PatchGridGeometry geometry = scores.Geometry;
        if (geometry.Level0PatchSize <= 0 || geometry.Level0Stride <= 0 || geometry.PatchSizePx <= 0)
        {
            throw new HeatmapException($"The patch-score table's grid is invalid (level-0 patch {geometry.Level0PatchSize} px, stride {geometry.Level0Stride} px, patch {geometry.PatchSizePx} px) ({files}).");
        }
        if (geometry.ReadLevel < 0 || geometry.ReadLevel >= slide.LevelCount)
        {
            throw new HeatmapException($"The patch-score table reads patches from level {geometry.ReadLevel}, but the slide has {slide.LevelCount} levels ({files}).");
        }

        int size = geometry.Level0PatchSize;
        for (int i = 0; i < scores.Patches.Length; i++)
        {
            PatchCoordinate patch = scores.Patches[i];
            if (patch.Level0X < 0 || patch.Level0Y < 0 || patch.Level0X + size > slide.Level0Width || patch.Level0Y + size > slide.Level0Height)
            {
                throw new HeatmapException(
                    $"Patch {i} at ({patch.Level0X}, {patch.Level0Y}), {size} px square, lies outside the {slide.Level0Width} x {slide.Level0Height} px slide ({files}); " +
                    "the scores were computed on another slide or another scan of it.");
            }
            if (!float.IsFinite(scores.Scores[i]))
            {
                throw new HeatmapException($"Patch {i} at ({patch.Level0X}, {patch.Level0Y}) has score {scores.Scores[i]}, not a finite number ({files}).");
            }
        }
    }
}
