using OpenCvSharp;
using PathoFed.Heatmaps.Reports;
using PathoFed.Mil.Data;

namespace PathoFed.Heatmaps.Tests.Reports;

/// <summary>
/// One real heatmap folder, drawn once per test class by <see cref="HeatmapExport"/> from the real H&amp;E slide
/// (small_HE.svs) with a score for every 256-px patch; tests copy it under their own report folder for each slide.
/// </summary>
public sealed class ReportHeatmapFixture : IAsyncLifetime, IDisposable
{
    private const int Px = 256;
    private readonly TempFolder _folder = new();

    public string HeatmapFolder { get; private set; } = "";

    public (int Width, int Height) OverlaySize { get; private set; }

    public (int Width, int Height) GallerySize { get; private set; }

    public int PatchCount { get; private set; }

    public async Task InitializeAsync()
    {
        var patches = new List<(long X, long Y, float Score)>();
        for (long y = 0; y + Px <= 2967; y += Px)
        {
            for (long x = 0; x + Px <= 2220; x += Px) patches.Add((x, y, (float)((x * 7 + y * 3) % 1000) / 1000));
        }
        string scores = await HeatmapTestData.WriteScoresAsync(_folder, "small_HE", HeatmapTestData.Level0Grid(Px), patches);
        HeatmapResult result = await HeatmapExport.RunAsync(HeatmapTestData.Options(TestSlides.SmallHE, scores, _folder) with { GalleryCount = 4 });
        HeatmapFolder = result.OutputFolder;
        PatchCount = result.PatchCount;
        using (Mat overlay = Cv2.ImRead(Path.Combine(HeatmapFolder, "overlay.png"))) OverlaySize = (overlay.Width, overlay.Height);
        using (Mat gallery = Cv2.ImRead(Path.Combine(HeatmapFolder, "gallery.png"))) GallerySize = (gallery.Width, gallery.Height);
    }

    /// <summary>Copies the heatmap files to <c>heatmaps/&lt;name&gt;/</c> under the report folder; returns the relative folder.</summary>
    public string CopyTo(string reportFolder, string name)
    {
        string relative = Path.Combine("heatmaps", name);
        string target = Path.Combine(reportFolder, relative);
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(HeatmapFolder)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return relative;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _folder.Dispose();

    /// <summary>A two-class run (normal, tumor) generated at a fixed time.</summary>
    public static BatchReportRun ClassificationRun(string title = "PathoFed run: test batch") => new()
    {
        Title = title,
        ModelName = "abmil-test",
        ModelId = "sha256:0123abcd",
        Task = MilTask.Classify,
        ClassNames = ["normal", "tumor"],
        ExtractorId = "toy-cnn-v1",
        Command = "pathofed run --slides slides --model model --out out",
        GeneratedAt = new DateTimeOffset(2026, 11, 23, 16, 30, 0, TimeSpan.FromHours(1)),
    };

    public static BatchReportSlide Scored(string id, float pTumor, string? heatmapFolder = null, string? truth = null, int patches = 120) => new()
    {
        SlideId = id,
        SlidePath = $"/data/slides/{id}.svs",
        Status = SlideReportStatus.Scored,
        Probabilities = [1 - pTumor, pTumor],
        PredictedClass = pTumor >= 0.5f ? "tumor" : "normal",
        PatchCount = patches,
        TrueLabel = truth,
        Heatmaps = heatmapFolder is null ? null : SlideHeatmapFiles.InFolder(heatmapFolder),
    };
}
