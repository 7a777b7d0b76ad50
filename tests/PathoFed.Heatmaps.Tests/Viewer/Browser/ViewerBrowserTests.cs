using System.Text.Json;
using OpenCvSharp;
using Xunit.Abstractions;

namespace PathoFed.Heatmaps.Tests.Viewer.Browser;

/// <summary>
/// The viewer page in a real browser: headless Chromium driven over the DevTools protocol loads /view/small_HE, draws
/// tissue, shows and hides the heatmap layer, and answers a click with the patch's score. A missing Chromium fails
/// (tools/setup.sh installs it) rather than skipping, so a machine that cannot run it never looks green.
/// </summary>
public sealed class ViewerBrowserTests(ViewerFixture viewer, ITestOutputHelper output) : IClassFixture<ViewerFixture>
{
    private const int WindowWidthPx = 1280, WindowHeightPx = 900;
    private static readonly TimeSpan WholeTest = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ViewPage_InHeadlessChromium_DrawsTissue_TogglesTheHeatmap_AndShowsTheClickedPatchScore()
    {
        using var timeout = new CancellationTokenSource(WholeTest);
        CancellationToken token = timeout.Token;
        using HeadlessChromium browser = await HeadlessChromium.LaunchAsync(WindowWidthPx, WindowHeightPx, TimeSpan.FromSeconds(30));
        await using DevToolsSession page = await DevToolsSession.ConnectAsync(await browser.PageWebSocketAsync(TimeSpan.FromSeconds(10)), token);

        // The window size includes headless Chromium's invisible chrome: pin the page's own viewport instead.
        await page.SendAsync("Emulation.setDeviceMetricsOverride", new { width = WindowWidthPx, height = WindowHeightPx, deviceScaleFactor = 1, mobile = false }, token);
        await page.SendAsync("Page.navigate", new { url = new Uri(viewer.Host.Url, "view/small_HE").ToString() }, token);
        await page.WaitUntilAsync("window.pathofed && window.pathofed.heatmap && window.pathofed.isFullyLoaded()", TimeSpan.FromSeconds(40), token);

        // The slide alone: tissue colours (pink eosin, purple haematoxylin) on the canvas.
        await SetHeatmapVisibleAsync(page, visible: false, token);
        Assert.Equal(0, (await page.EvaluateAsync("window.pathofed.heatmap.getOpacity()", token)).GetDouble());
        Rect viewerArea = await ViewerRectangleAsync(page, token);
        using Mat slideOnly = await ScreenshotAsync(page, viewerArea, token);
        double tissue = Fraction(slideOnly, pixel => !IsNearWhite(pixel) && Math.Max(pixel.Item2, pixel.Item0) - pixel.Item1 > 25);
        Assert.True(tissue > 0.05, $"only {tissue:P1} of the viewer shows tissue colours");

        // The heatmap over it: the layer's opacity is back and most of the slide's pixels change colour.
        byte[] shownPng = await SetHeatmapVisibleAsync(page, visible: true, token);
        Assert.Equal(0.5, (await page.EvaluateAsync("window.pathofed.heatmap.getOpacity()", token)).GetDouble());
        using Mat withHeatmap = await ScreenshotAsync(page, viewerArea, token);
        using var difference = new Mat();
        Cv2.Absdiff(slideOnly, withHeatmap, difference);
        double changed = Fraction(difference, pixel => pixel.Item0 + pixel.Item1 + pixel.Item2 > 30);
        Assert.True(changed > 0.15, $"showing the heatmap changed only {changed:P1} of the viewer");
        string screenshot = SaveScreenshot(shownPng);
        output.WriteLine($"screenshot: {screenshot}");

        // A click on the hot patch's centre shows its score.
        JsonElement point = await page.EvaluateAsync(
            $"(() => {{ const v = window.pathofed.viewer; const p = v.world.getItemAt(0).imageToViewerElementCoordinates(new OpenSeadragon.Point({ViewerFixture.HotX + 64}, {ViewerFixture.HotY + 64})); " +
            "const r = v.element.getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; })()", token);
        await page.ClickAsync(point[0].GetDouble(), point[1].GetDouble(), token);
        await page.WaitUntilAsync($"document.getElementById('patch-info').textContent.includes('patch at ({ViewerFixture.HotX}, {ViewerFixture.HotY})')", TimeSpan.FromSeconds(10), token);
        string info = (await page.EvaluateAsync("document.getElementById('patch-info').textContent", token)).GetString()!;
        Assert.Contains("attention 1.000", info);

        // The slide list, rendered by its script: ranked, each slide a link to its viewer.
        await page.SendAsync("Page.navigate", new { url = viewer.Host.Url.ToString() }, token);
        await page.WaitUntilAsync("document.querySelectorAll('#slides tbody tr').length === 3", TimeSpan.FromSeconds(10), token);
        JsonElement links = await page.EvaluateAsync("[...document.querySelectorAll('#slides tbody a')].map(a => a.getAttribute('href'))", token);
        Assert.Equal(["/view/small_HE", "/view/small", "/view/boxes"], links.EnumerateArray().Select(l => l.GetString()));
    }

    /// <summary>Flips the checkbox the pathologist uses, then waits for the redraw; returns a screenshot of the page.</summary>
    private static async Task<byte[]> SetHeatmapVisibleAsync(DevToolsSession page, bool visible, CancellationToken token)
    {
        await page.EvaluateAsync($"(() => {{ const box = document.getElementById('heatmap-visible'); if (box.checked !== {(visible ? "true" : "false")}) box.click(); }})()", token);
        await page.WaitUntilAsync("window.pathofed.isFullyLoaded()", TimeSpan.FromSeconds(10), token);
        // Two animation frames: OpenSeadragon redraws on the frame after the opacity change.
        await page.EvaluateAsync("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))", token);
        return await page.ScreenshotPngAsync(token);
    }

    private static async Task<Rect> ViewerRectangleAsync(DevToolsSession page, CancellationToken token)
    {
        JsonElement r = await page.EvaluateAsync("(() => { const r = document.getElementById('osd').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()", token);
        return new Rect((int)r[0].GetDouble(), (int)r[1].GetDouble(), (int)r[2].GetDouble(), (int)r[3].GetDouble());
    }

    private static async Task<Mat> ScreenshotAsync(DevToolsSession page, Rect area, CancellationToken token)
    {
        using Mat whole = Cv2.ImDecode(await page.ScreenshotPngAsync(token), ImreadModes.Color);
        Assert.Equal((WindowWidthPx, WindowHeightPx), (whole.Width, whole.Height));
        using Mat viewerPart = whole[area];
        return viewerPart.Clone();
    }

    private static double Fraction(Mat bgr, Func<Vec3b, bool> predicate)
    {
        int count = 0, width = bgr.Width, height = bgr.Height;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (predicate(bgr.At<Vec3b>(y, x))) count++;
            }
        }
        return (double)count / (width * height);
    }

    private static bool IsNearWhite(Vec3b pixel) => pixel.Item0 > 220 && pixel.Item1 > 220 && pixel.Item2 > 220;

    /// <summary>TestResults/viewer-screenshot.png at the repository root (beside the .trx files), for a human to look at.</summary>
    private static string SaveScreenshot(byte[] png)
    {
        string folder = Path.GetTempPath();
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PathoFed.sln")))
            {
                folder = Path.Combine(dir.FullName, "TestResults");
                break;
            }
        }
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "viewer-screenshot.png");
        File.WriteAllBytes(path, png);
        return path;
    }
}
