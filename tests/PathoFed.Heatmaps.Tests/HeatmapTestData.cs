using PathoFed.Mil.Experiments;
using PathoFed.Slides.Patching;
using PathoFed.Slides.Synthetic;

namespace PathoFed.Heatmaps.Tests;

/// <summary>Patch-score tables built in tests and written with the same writer <c>pathofed score</c> uses.</summary>
internal static class HeatmapTestData
{
    /// <summary>A level-0 grid: target = scan resolution, patches read from level 0.</summary>
    public static PatchGridGeometry Level0Grid(int patchSizePx, int overlapPx = 0) =>
        new(TargetMpp: 0.5, Level0PerOutputPx: 1, patchSizePx, overlapPx, patchSizePx, patchSizePx - overlapPx, ReadLevel: 0, ReadSizePx: patchSizePx);

    public static async Task<string> WriteScoresAsync(TempFolder folder, string slideId, PatchGridGeometry geometry,
        IReadOnlyList<(long X, long Y, float Score)> patches, string fileName = "scores.parquet")
    {
        string path = folder.File(fileName);
        var content = new PatchScoreTable.Content(slideId, "test-model", "attention", geometry,
            [.. patches.Select(p => new PatchCoordinate(p.X, p.Y, 1f))], [.. patches.Select(p => p.Score)]);
        await PatchScoreTable.WriteAsync(path, content);
        return path;
    }

    public static HeatmapOptions Options(string slidePath, string scoresPath, TempFolder folder) =>
        new() { SlidePath = slidePath, ScoresPath = scoresPath, OutputFolder = Path.Combine(folder.Path, "out") };
}

/// <summary>
/// A 4096 x 3072 generic TIFF at 0.5 µm/px written once per test class: glass everywhere except one small section in
/// the bottom-right corner, so overlay colours are measured over a uniform background. Patches of 256 px: 16 x 12 cells.
/// </summary>
public sealed class GlassSlideFixture : IDisposable
{
    public const int Width = 4096, Height = 3072, PatchPx = 256;

    private readonly TempFolder _folder = new();

    public GlassSlideFixture()
    {
        SlidePath = _folder.File("glass.tif");
        var spec = new SyntheticSlideSpec(Width, Height, [new SyntheticEllipse(3900, 2900, 120, 100)])
        {
            Flavor = SyntheticSlideFlavor.GenericTiff,
            Mpp = 0.5,
            Seed = 3,
        };
        SyntheticSlideWriter.Write(SlidePath, spec);
    }

    public string SlidePath { get; }

    public string SlideId => "glass";

    public void Dispose() => _folder.Dispose();
}
