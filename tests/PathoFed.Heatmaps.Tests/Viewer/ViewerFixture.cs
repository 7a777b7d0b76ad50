using PathoFed.Heatmaps.Viewer;
using PathoFed.Slides.Patching;

namespace PathoFed.Heatmaps.Tests.Viewer;

/// <summary>
/// A running viewer on port 0 over a slides folder holding small_HE (scored 0.9, patch scores with one hot patch),
/// small (scored 0.3, no patch scores) and boxes (not in scores.csv), a results folder as <c>pathofed score</c> writes
/// it, and a secret file beside both folders that no request may ever return.
/// </summary>
public sealed class ViewerFixture : IAsyncLifetime
{
    public const string SlideId = "small_HE";
    public const int Width = 2220, Height = 2967, PatchPx = 128;
    public const long HotX = 1024, HotY = 1536;
    public const float HotScore = 1f;
    public const string Secret = "pathofed-viewer-secret-7d1c";

    private readonly TempFolder _folder = new();

    public SlideViewerHost Host { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string SlidesFolder => Path.Combine(_folder.Path, "slides");

    /// <summary>Every whole 128-px patch of small_HE: low scores (0.1-0.3) except the hot patch.</summary>
    public static List<(long X, long Y, float Score)> Patches()
    {
        var patches = new List<(long, long, float)>();
        for (long y = 0; y + PatchPx <= Height; y += PatchPx)
        {
            for (long x = 0; x + PatchPx <= Width; x += PatchPx)
            {
                patches.Add((x, y, x == HotX && y == HotY ? HotScore : 0.1f + 0.2f * patches.Count / 500f));
            }
        }
        return patches;
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(SlidesFolder);
        File.Copy(TestSlides.SmallHE, Path.Combine(SlidesFolder, "small_HE.svs"));
        File.Copy(TestSlides.SmallSvs, Path.Combine(SlidesFolder, "small.svs"));
        File.Copy(TestSlides.BoxesTiff, Path.Combine(SlidesFolder, "boxes.tiff"));
        await File.WriteAllTextAsync(_folder.File("secret.txt"), Secret);

        string results = Path.Combine(_folder.Path, "results");
        Directory.CreateDirectory(Path.Combine(results, "patch-scores"));
        await File.WriteAllTextAsync(Path.Combine(results, "scores.csv"),
            "slide_id,model,status,prediction,p_normal,p_tumor,reason\n" +
            "small,test-model,ok,normal,0.7,0.3,\n" +
            "ghost,test-model,ok,tumor,0.01,0.99,\n" +
            "small_HE,test-model,ok,tumor,0.1,0.9,\n");
        using var scores = new TempFolder();
        string table = await HeatmapTestData.WriteScoresAsync(scores, SlideId, HeatmapTestData.Level0Grid(PatchPx), Patches());
        File.Copy(table, Path.Combine(results, "patch-scores", SlideId + ".parquet"));

        Host = await SlideViewerHost.StartAsync(new ViewerOptions(SlidesFolder, results, Port: 0));
        Client = new HttpClient { BaseAddress = Host.Url, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Host is not null) await Host.DisposeAsync();
        _folder.Dispose();
    }
}
