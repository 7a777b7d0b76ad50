using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using OpenCvSharp;
using PathoFed.Heatmaps.Reports;
using PathoFed.Mil.Data;

namespace PathoFed.Heatmaps.Tests.Reports;

/// <summary>report.html written from real heatmaps of the real H&amp;E slide, read back as text and decoded images.</summary>
public sealed partial class BatchReportTests(ReportHeatmapFixture heatmaps) : IClassFixture<ReportHeatmapFixture>
{
    private static BatchReportRun Run => ReportHeatmapFixture.ClassificationRun();

    [Fact]
    public void Write_MixedBatch_ListsEverySlideRankedByTumorProbability_ThenFailedThenSkipped()
    {
        using var folder = new TempFolder();
        BatchReportSlide[] slides =
        [
            ReportHeatmapFixture.Scored("slide-b", 0.20f),
            new() { SlideId = "slide-z", Status = SlideReportStatus.Skipped, Reason = "no tissue found" },
            ReportHeatmapFixture.Scored("slide-a", 0.91f),
            new() { SlideId = "slide-f", Status = SlideReportStatus.Failed, Reason = "tiling failed: corrupt tile at (0, 0)" },
            ReportHeatmapFixture.Scored("slide-c", 0.55f),
            ReportHeatmapFixture.Scored("slide-d", 0.55f),
        ];

        BatchReportResult result = BatchReport.Write(folder.Path, Run, slides);

        string html = File.ReadAllText(result.Path);
        string[] expected = ["slide-a", "slide-c", "slide-d", "slide-b", "slide-f", "slide-z"];
        Assert.Equal(expected, TableSlideIds(html));
        Assert.Equal(expected, CardSlideIds(html));
        Assert.Equal(["scored", "scored", "scored", "scored", "failed", "skipped"], TableRowClasses(html));
        Assert.Equal((4, 1, 1), (result.Scored, result.Failed, result.Skipped));
        Assert.Contains("<dd id=\"counts\">6 in all: 4 scored, 1 failed, 1 skipped</dd>", html);
        Assert.Contains("ranked by p(tumor), highest first", html);
        Assert.Contains("<code>pathofed run --slides slides --model model --out out</code>", html);
        Assert.Contains("abmil-test <span class=\"muted\">(sha256:0123abcd)</span>", html);
        Assert.Contains("<dd id=\"extractor\">toy-cnn-v1</dd>", html);
        Assert.Contains("<time datetime=\"2026-11-23T15:30:00Z\">2026-11-23 15:30 UTC</time>", html);
        Assert.Contains($"<dd id=\"version\">{PathoFedVersion.Current}</dd>", html);
        Assert.Contains("<strong>Research use only.</strong> Not for diagnostic use", html);
        Assert.Contains("<td data-value=\"0.91\" class=\"num\">0.910</td>", html);
        // Columns: #, slide, status, prediction, p(normal), p(tumor), patches, reason.
        Dictionary<string, string[]> rows = TableCells(html).ToDictionary(row => row[1]);
        foreach (BatchReportSlide slide in slides.Where(s => s.Status == SlideReportStatus.Scored))
        {
            string[] row = rows[slide.SlideId];
            Assert.Equal(slide.PredictedClass, row[3]);
            Assert.Equal(slide.Probabilities![0], float.Parse(row[4], CultureInfo.InvariantCulture));
            Assert.Equal(slide.Probabilities![1], float.Parse(row[5], CultureInfo.InvariantCulture));
            Assert.Equal("120", row[6]);
        }
        Assert.Equal(["", "", ""], rows["slide-f"][3..6]);
        Assert.Equal("tiling failed: corrupt tile at (0, 0)", rows["slide-f"][^1]);
    }

    [Fact]
    public void Write_FailedAndSkippedSlides_ShowTheirReasonsInTableAndCard()
    {
        using var folder = new TempFolder();
        BatchReportSlide[] slides =
        [
            ReportHeatmapFixture.Scored("good", 0.7f),
            new() { SlideId = "broken", SlidePath = "/data/broken.svs", Status = SlideReportStatus.Failed, Reason = "SlideReadException: tile 3 is corrupt" },
            new() { SlideId = "blank", Status = SlideReportStatus.Skipped, Reason = "no tissue: 0 patches" },
        ];

        string html = File.ReadAllText(BatchReport.Write(folder.Path, Run, slides).Path);

        Assert.Matches("<tr class=\"failed\" data-rank=\"2\">.*<td data-value=\"SlideReadException: tile 3 is corrupt\" class=\"reason\">SlideReadException: tile 3 is corrupt</td></tr>", html);
        Assert.Matches("<tr class=\"skipped\" data-rank=\"3\">.*<td data-value=\"no tissue: 0 patches\" class=\"reason\">no tissue: 0 patches</td></tr>", html);
        Assert.Contains("<dt>Reason</dt><dd class=\"reason\">SlideReadException: tile 3 is corrupt</dd>", html);
        Assert.Contains("<dt>Reason</dt><dd class=\"reason\">no tissue: 0 patches</dd>", html);
        Assert.Contains("<dt>Slide file</dt><dd><code>/data/broken.svs</code></dd>", html);
        // A failed slide has no prediction: its probability cells are empty, so sorting puts it last.
        Assert.Contains("<tr class=\"failed\" data-rank=\"2\"><td data-value=\"2\">2</td><td data-value=\"broken\"><a href=\"#slide-2\">broken</a></td>" +
            "<td data-value=\"failed\">failed</td><td data-value=\"\"></td><td data-value=\"\" class=\"num\"></td><td data-value=\"\" class=\"num\"></td>", html);
    }

    [Fact]
    public void Write_RealHeatmaps_EmbedsJpegThumbnailsThatDecodeToTheExpectedSize_AndLinksTheFullFiles()
    {
        using var folder = new TempFolder();
        string first = heatmaps.CopyTo(folder.Path, "first");
        string second = heatmaps.CopyTo(folder.Path, "second");
        BatchReportSlide[] slides =
        [
            ReportHeatmapFixture.Scored("first", 0.8f, first, patches: heatmaps.PatchCount),
            // The batch job knows its heatmap folders as absolute paths (BatchScoringLayout.Heatmap): links come out relative.
            ReportHeatmapFixture.Scored("second", 0.3f, Path.Combine(folder.Path, second), patches: heatmaps.PatchCount),
        ];

        BatchReportResult result = BatchReport.Write(folder.Path, Run, slides);

        string html = File.ReadAllText(result.Path);
        var images = DataUriImage().Matches(html);
        Assert.Equal(4, images.Count);
        Assert.Equal(4, result.ImagesEmbedded);
        (int Width, int Height)[] expected = [Shrunk(heatmaps.OverlaySize, 480), Shrunk(heatmaps.GallerySize, 720), Shrunk(heatmaps.OverlaySize, 480), Shrunk(heatmaps.GallerySize, 720)];
        Assert.Equal(480, Math.Max(expected[0].Width, expected[0].Height));
        for (int i = 0; i < images.Count; i++)
        {
            byte[] jpeg = Convert.FromBase64String(images[i].Groups["base64"].Value);
            Assert.Equal(new byte[] { 0xFF, 0xD8, 0xFF }, jpeg[..3]);
            using Mat decoded = Cv2.ImDecode(jpeg, ImreadModes.Color);
            Assert.Equal(expected[i], (decoded.Width, decoded.Height));
            Assert.Equal(expected[i], (int.Parse(images[i].Groups["width"].Value), int.Parse(images[i].Groups["height"].Value)));
            // The overlay shows the slide: not a blank image.
            Scalar mean = Cv2.Mean(decoded);
            Assert.True(mean.Val0 < 250 || mean.Val1 < 250 || mean.Val2 < 250, $"thumbnail {i} is blank");
        }
        Assert.Contains("<a href=\"heatmaps/first/overlay.png\"><img src=\"data:image/jpeg;base64,", html);
        Assert.Contains("<a href=\"heatmaps/second/gallery.png\"><img src=\"data:image/jpeg;base64,", html);
        foreach (string file in new[] { "overlay.png", "gallery.png", "heatmap.geojson", "heatmap.tif" })
        {
            Assert.Contains($"<a href=\"heatmaps/first/{file}\">{file}</a>", html);
        }
        // 2 slides of thumbnails stay small next to the full-size PNGs they link to.
        Assert.True(result.SizeBytes < 400_000, $"report is {result.SizeBytes} bytes");
    }

    [Fact]
    public void Write_SlideIdWithMarkupAndAmpersand_IsEscapedInTextAttributesAndLinks()
    {
        using var folder = new TempFolder();
        const string Id = "<script>alert('x') & \"co\" #1?%";
        string heatmapFolder = heatmaps.CopyTo(folder.Path, Id);
        BatchReportSlide[] slides =
        [
            ReportHeatmapFixture.Scored(Id, 0.9f, heatmapFolder, truth: "tumor") with { Reason = "note with <b>tags</b> & more" },
            new() { SlideId = "fail<img src=x onerror=alert(1)>", Status = SlideReportStatus.Failed, Reason = "reason </td></tr></table><script>bad()</script>" },
            new() { SlideId = "<script>x</script>&.svs", Status = SlideReportStatus.Failed, Reason = "cannot open <script>x</script>&.svs" },
        ];
        BatchReportRun run = ReportHeatmapFixture.ClassificationRun("Batch <i>one</i> & two") with { ModelName = "m<1>", ExtractorId = "ex&tractor" };

        string html = File.ReadAllText(BatchReport.Write(folder.Path, run, slides).Path, Encoding.UTF8);

        const string Escaped = "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;co&quot; #1?%";
        Assert.Equal(Id, TableSlideIds(html)[0]);
        Assert.Equal(Id, CardSlideIds(html)[0]);
        Assert.Equal([Id, "<script>x</script>&.svs", "fail<img src=x onerror=alert(1)>"], TableSlideIds(html));
        Assert.Contains("<a href=\"#slide-2\">&lt;script&gt;x&lt;/script&gt;&amp;.svs</a>", html);
        Assert.Contains("<dd class=\"reason\">cannot open &lt;script&gt;x&lt;/script&gt;&amp;.svs</dd>", html);
        Assert.Contains($"<td data-value=\"{Escaped}\"><a href=\"#slide-1\">{Escaped}</a></td>", html);
        Assert.Single(Regex.Matches(html, "<script", RegexOptions.IgnoreCase)); // only the page's own sorting script
        Assert.DoesNotContain("<img src=x", html);
        Assert.DoesNotContain("<b>tags</b>", html);
        Assert.DoesNotContain("</td></tr></table><script>bad", html);
        Assert.Contains("<title>Batch &lt;i&gt;one&lt;/i&gt; &amp; two</title>", html);
        Assert.Contains("m&lt;1&gt;", html);
        Assert.Contains("<dd id=\"extractor\">ex&amp;tractor</dd>", html);
        // The link is percent-encoded, so '#', '?' and '%' in a file name still reach the file from file://.
        string encoded = Uri.EscapeDataString(Id);
        Assert.Contains($"<a href=\"heatmaps/{WebUtility.HtmlEncode(encoded)}/overlay.png\"><img", html);
        Assert.Equal(Path.Combine(folder.Path, "heatmaps", Id, "overlay.png"), Path.Combine(folder.Path, Uri.UnescapeDataString($"heatmaps/{encoded}/overlay.png")));
    }

    [Fact]
    public void Write_NonAsciiIds_AreValidUtf8WithoutByteOrderMark()
    {
        using var folder = new TempFolder();
        const string Id = "Präparat-é-组织-\u0001";

        string path = BatchReport.Write(folder.Path, Run, [ReportHeatmapFixture.Scored(Id, 0.4f)]).Path;

        byte[] bytes = File.ReadAllBytes(path);
        Assert.NotEqual(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        string html = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); // throws on invalid UTF-8
        Assert.Contains("<meta charset=\"utf-8\">", html);
        Assert.Contains("Präparat-é-组织-\uFFFD", html); // the control character, which HTML forbids, is replaced
    }

    [Fact]
    public void Write_UnreadableAndMissingOverlays_ShowNoHeatmapWithTheReason_AndTheRestOfTheReport()
    {
        using var folder = new TempFolder();
        string good = heatmaps.CopyTo(folder.Path, "good");
        string corrupt = heatmaps.CopyTo(folder.Path, "corrupt");
        File.WriteAllBytes(Path.Combine(folder.Path, corrupt, "overlay.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5]);
        BatchReportSlide[] slides =
        [
            ReportHeatmapFixture.Scored("good", 0.9f, good),
            ReportHeatmapFixture.Scored("corrupt", 0.8f, corrupt),
            ReportHeatmapFixture.Scored("missing", 0.7f, Path.Combine("heatmaps", "missing")),
            ReportHeatmapFixture.Scored("stage-failed", 0.6f) with { HeatmapError = "HeatmapException: patch 3 lies outside the slide" },
        ];

        BatchReportResult result = BatchReport.Write(folder.Path, Run, slides);

        string html = File.ReadAllText(result.Path);
        Assert.Equal(["good", "corrupt", "missing", "stage-failed"], CardSlideIds(html));
        string corruptPath = Path.Combine(folder.Path, "heatmaps", "corrupt", "overlay.png");
        Assert.Contains($"<p class=\"no-heatmap\">No heatmap: &#39;{corruptPath}&#39; is not an image OpenCV can decode (9 bytes)</p>", html);
        string missingPath = Path.Combine(folder.Path, "heatmaps", "missing", "overlay.png");
        Assert.Contains($"<p class=\"no-heatmap\">No heatmap: &#39;{missingPath}&#39; does not exist</p>", html);
        Assert.Contains("<span class=\"missing\" title=\"not found\">overlay.png (missing)</span>", html);
        Assert.Contains("<p class=\"no-heatmap\">No heatmap: HeatmapException: patch 3 lies outside the slide</p>", html);
        // The good slide's overlay and gallery, and the corrupt slide's intact gallery, are still embedded.
        Assert.Equal(3, result.ImagesEmbedded);
        Assert.Equal(3, DataUriImage().Matches(html).Count);
    }

    [Fact]
    public void Write_OverlaySmallerThanTheThumbnail_IsEmbeddedAtItsOwnSize()
    {
        using var folder = new TempFolder();
        string small = Path.Combine("heatmaps", "small");
        Directory.CreateDirectory(Path.Combine(folder.Path, small));
        using (Mat crop = Cv2.ImRead(Path.Combine(heatmaps.HeatmapFolder, "overlay.png")))
        using (var resized = new Mat())
        {
            Cv2.Resize(crop, resized, new Size(90, 120), interpolation: InterpolationFlags.Area);
            Cv2.ImWrite(Path.Combine(folder.Path, small, "overlay.png"), resized);
        }

        string html = File.ReadAllText(BatchReport.Write(folder.Path, Run, [ReportHeatmapFixture.Scored("small", 0.5f, small)]).Path);

        Match image = Assert.Single(DataUriImage().Matches(html));
        using Mat decoded = Cv2.ImDecode(Convert.FromBase64String(image.Groups["base64"].Value), ImreadModes.Color);
        Assert.Equal((90, 120), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void Write_Report_ReferencesNothingOnTheNetwork()
    {
        using var folder = new TempFolder();
        string first = heatmaps.CopyTo(folder.Path, "first");

        string html = File.ReadAllText(BatchReport.Write(folder.Path, Run,
            [ReportHeatmapFixture.Scored("first", 0.8f, first), new() { SlideId = "x", Status = SlideReportStatus.Skipped, Reason = "no tissue" }]).Path);

        Assert.DoesNotMatch(new Regex("https?:", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex("(?<![a-z])//[a-z0-9]", RegexOptions.IgnoreCase), Regex.Replace(html, "data:image/jpeg;base64,[A-Za-z0-9+/=]+", "data:")); // no protocol-relative URL
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("@import", html);
        Assert.DoesNotMatch("<script[^>]+src=", html);
        // Every src is an embedded image; every href a relative file or an in-page anchor.
        Assert.All(Regex.Matches(html, "\\ssrc=\"([^\"]*)\"").Select(m => m.Groups[1].Value), src => Assert.StartsWith("data:image/jpeg;base64,", src));
        Assert.All(Regex.Matches(html, "\\shref=\"([^\"]*)\"").Select(m => m.Groups[1].Value), href => Assert.Matches("^(#slide-\\d+|heatmaps/[^:]+)$", href));
        Assert.Contains($"<meta http-equiv=\"Content-Security-Policy\" content=\"{ReportPage.ContentSecurityPolicy}\">", html);
    }

    [Fact]
    public void Write_OverAnEarlierReport_ReplacesItAtomically_LeavingNoTemporaryFile()
    {
        using var folder = new TempFolder();
        string reportFolder = Path.Combine(folder.Path, "new", "out");
        BatchReport.Write(reportFolder, Run, [ReportHeatmapFixture.Scored("old", 0.8f)]);

        BatchReportResult result = BatchReport.Write(reportFolder, Run, [ReportHeatmapFixture.Scored("new", 0.8f)]);

        Assert.Equal(Path.Combine(reportFolder, "report.html"), result.Path);
        Assert.Equal(["report.html"], Directory.GetFiles(reportFolder).Select(Path.GetFileName));
        Assert.Equal(new FileInfo(result.Path).Length, result.SizeBytes);
        Assert.Equal(["new"], TableSlideIds(File.ReadAllText(result.Path)));
    }

    [Fact]
    public void Write_Cancelled_LeavesTheEarlierReportAndNoTemporaryFile()
    {
        using var folder = new TempFolder();
        BatchReport.Write(folder.Path, Run, [ReportHeatmapFixture.Scored("old", 0.8f)]);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() => BatchReport.Write(folder.Path, Run, [ReportHeatmapFixture.Scored("new", 0.8f)], cancellationToken: cancelled.Token));

        Assert.Equal(["report.html"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
        Assert.Equal(["old"], TableSlideIds(File.ReadAllText(folder.File("report.html"))));
    }

    [Fact]
    public void Write_KnownLabels_AccuracyBalancedAccuracyAucAndConfusionMatchAHandComputedCase()
    {
        using var folder = new TempFolder();
        // p(tumor) 0.9, 0.8, 0.3 for tumours and 0.95, 0.2 for normals: predictions T T N | T N, so 3 of 5 right (the
        // top-ranked slide among the wrong ones); recall tumor 2/3, normal 1/2 -> balanced 0.583; AUC: 3 of the 6
        // tumour-normal pairs ordered right -> 0.5.
        BatchReportSlide[] slides =
        [
            ReportHeatmapFixture.Scored("t1", 0.9f, truth: "tumor"),
            ReportHeatmapFixture.Scored("t2", 0.8f, truth: "tumor"),
            ReportHeatmapFixture.Scored("t3", 0.3f, truth: "tumor"),
            ReportHeatmapFixture.Scored("n1", 0.95f, truth: "normal"),
            ReportHeatmapFixture.Scored("n2", 0.2f, truth: "normal"),
            ReportHeatmapFixture.Scored("nolabel", 0.6f),
            new() { SlideId = "failed", Status = SlideReportStatus.Failed, Reason = "unreadable", TrueLabel = "tumor" },
        ];

        BatchReportResult result = BatchReport.Write(folder.Path, Run, slides);

        BatchReportMetrics metrics = Assert.IsType<BatchReportMetrics>(result.Metrics);
        Assert.Equal((5, 3), (metrics.LabelledSlides, metrics.CorrectSlides));
        Assert.Equal(0.6, metrics.Accuracy, 12);
        Assert.Equal(7 / 12.0, metrics.BalancedAccuracy, 12);
        Assert.Equal(0.5, metrics.RocAuc, 12);
        Assert.Equal([1, 1, 1, 2], metrics.Confusion.SelectMany(row => row));
        string html = File.ReadAllText(result.Path);
        Assert.Contains("<p id=\"metrics-line\">Accuracy 0.600 (3 of 5 labelled slides) · balanced accuracy 0.583 · ROC AUC 0.500 (tumor vs normal)</p>", html);
        Assert.Contains("<tr><th scope=\"row\">normal</th><td class=\"diagonal\">1</td><td>1</td></tr>", html);
        Assert.Contains("<tr><th scope=\"row\">tumor</th><td>1</td><td class=\"diagonal\">2</td></tr>", html);
        Assert.Contains("1 labelled slide(s) were not scored and are left out.", html);
        Assert.Contains("<td data-value=\"tumor\">tumor <span class=\"wrong\"", html); // t3 predicted normal
    }

    [Theory]
    [InlineData(null, "tumor vs normal")]
    [InlineData("normal", "normal vs tumor")]
    public void Write_ManyLabelledSlides_MetricsMatchAPairwiseComputation(string? positiveClass, string aucLabel)
    {
        using var folder = new TempFolder();
        var random = new Random(11);
        var slides = new List<BatchReportSlide>();
        for (int i = 0; i < 41; i++)
        {
            bool tumor = random.Next(3) > 0;
            // Two decimals, so that some tumour and normal slides tie.
            float pTumor = (float)Math.Round(Math.Clamp((tumor ? 0.62 : 0.38) + (random.NextDouble() - 0.5) * 0.8, 0, 1), 2);
            slides.Add(ReportHeatmapFixture.Scored($"s{i:00}", pTumor, truth: tumor ? "tumor" : "normal"));
        }
        int positive = positiveClass == "normal" ? 0 : 1;

        BatchReportResult result = BatchReport.Write(folder.Path, Run with { PositiveClass = positiveClass }, slides);

        // Independently: AUC as the share of (positive, negative) pairs ordered right, ties counting half.
        double pairs = 0, wins = 0;
        foreach (BatchReportSlide p in slides.Where(s => s.TrueLabel == Run.ClassNames[positive]))
        {
            foreach (BatchReportSlide n in slides.Where(s => s.TrueLabel != Run.ClassNames[positive]))
            {
                pairs++;
                float a = p.Probabilities![positive], b = n.Probabilities![positive];
                wins += a > b ? 1 : a == b ? 0.5 : 0;
            }
        }
        Assert.True(slides.Any(p => p.TrueLabel == "tumor" && slides.Any(n => n.TrueLabel == "normal" && n.Probabilities![1] == p.Probabilities![1])), "the case needs ties");
        double Recall(string label) =>
            slides.Count(s => s.TrueLabel == label && s.PredictedClass == label) / (double)slides.Count(s => s.TrueLabel == label);
        int correct = slides.Count(s => s.PredictedClass == s.TrueLabel);
        BatchReportMetrics metrics = Assert.IsType<BatchReportMetrics>(result.Metrics);
        Assert.Equal((41, correct), (metrics.LabelledSlides, metrics.CorrectSlides));
        Assert.Equal(correct / 41.0, metrics.Accuracy, 12);
        Assert.Equal((Recall("normal") + Recall("tumor")) / 2, metrics.BalancedAccuracy, 12);
        Assert.Equal(wins / pairs, metrics.RocAuc, 12);
        int Cell(string truth, string predicted) => slides.Count(s => s.TrueLabel == truth && s.PredictedClass == predicted);
        Assert.Equal([Cell("normal", "normal"), Cell("normal", "tumor"), Cell("tumor", "normal"), Cell("tumor", "tumor")], metrics.Confusion.SelectMany(row => row));
        string line = string.Create(CultureInfo.InvariantCulture,
            $"Accuracy {correct / 41.0:0.000} ({correct} of 41 labelled slides) · balanced accuracy {(Recall("normal") + Recall("tumor")) / 2:0.000} · ROC AUC {wins / pairs:0.000} ({aucLabel})");
        Assert.Contains($"<p id=\"metrics-line\">{line}</p>", File.ReadAllText(result.Path));
    }

    [Fact]
    public void Write_ThreeClasses_MacroAucAccuracyAndConfusionMatchAPairwiseComputation()
    {
        using var folder = new TempFolder();
        string[] classes = ["benign", "dysplasia", "carcinoma"];
        var random = new Random(5);
        var slides = new List<BatchReportSlide>();
        for (int i = 0; i < 30; i++)
        {
            int truth = i % 3;
            float[] raw = [.. Enumerable.Range(0, 3).Select(c => (float)random.NextDouble() + (c == truth ? 0.5f : 0))];
            float sum = raw.Sum();
            // No predicted class given: the report takes the most probable one.
            slides.Add(new BatchReportSlide
            {
                SlideId = $"s{i:00}", Status = SlideReportStatus.Scored, TrueLabel = classes[truth],
                Probabilities = [.. raw.Select(v => v / sum)],
            });
        }
        BatchReportRun run = Run with { ClassNames = classes };

        BatchReportResult result = BatchReport.Write(folder.Path, run, slides);

        int Truth(BatchReportSlide s) => Array.IndexOf(classes, s.TrueLabel);
        int Argmax(BatchReportSlide s) => s.Probabilities!.ToList().IndexOf(s.Probabilities!.Max());
        double OneVsRest(int c)
        {
            double pairs = 0, wins = 0;
            foreach (BatchReportSlide p in slides.Where(s => Truth(s) == c))
            {
                foreach (BatchReportSlide n in slides.Where(s => Truth(s) != c))
                {
                    pairs++;
                    wins += p.Probabilities![c] > n.Probabilities![c] ? 1 : p.Probabilities![c] == n.Probabilities![c] ? 0.5 : 0;
                }
            }
            return wins / pairs;
        }
        BatchReportMetrics metrics = Assert.IsType<BatchReportMetrics>(result.Metrics);
        int correct = slides.Count(s => Argmax(s) == Truth(s));
        Assert.Equal(correct, metrics.CorrectSlides);
        Assert.Equal((OneVsRest(0) + OneVsRest(1) + OneVsRest(2)) / 3, metrics.RocAuc, 12);
        for (int t = 0; t < 3; t++)
        {
            for (int p = 0; p < 3; p++) Assert.Equal(slides.Count(s => Truth(s) == t && Argmax(s) == p), metrics.Confusion[t][p]);
        }
        Dictionary<string, string[]> rows = TableCells(File.ReadAllText(result.Path)).ToDictionary(row => row[1]);
        Assert.All(slides, s => Assert.Equal(classes[Argmax(s)], rows[s.SlideId][3]));
        Assert.Contains("(macro mean of one-vs-rest)", File.ReadAllText(result.Path));
    }

    [Fact]
    public void Write_OneLabelledClassOnly_SaysTheAucIsUndefined()
    {
        using var folder = new TempFolder();

        BatchReportResult result = BatchReport.Write(folder.Path, Run,
            [ReportHeatmapFixture.Scored("t1", 0.9f, truth: "tumor"), ReportHeatmapFixture.Scored("t2", 0.4f, truth: "tumor")]);

        Assert.True(double.IsNaN(result.Metrics!.RocAuc));
        Assert.Contains("Accuracy 0.500 (1 of 2 labelled slides) · balanced accuracy 0.500 · ROC AUC undefined (a class has no labelled slide)", File.ReadAllText(result.Path));
    }

    [Fact]
    public void Write_NoLabels_HasNoMetricsSection()
    {
        using var folder = new TempFolder();

        BatchReportResult result = BatchReport.Write(folder.Path, Run, [ReportHeatmapFixture.Scored("a", 0.9f)]);

        Assert.Null(result.Metrics);
        string html = File.ReadAllText(result.Path);
        Assert.DoesNotContain("id=\"metrics\"", html);
        Assert.DoesNotContain(">Known</button>", html);
        Assert.DoesNotContain("Accuracy", html);
        Assert.DoesNotContain("AUC", html);
        Assert.DoesNotContain("id=\"confusion\"", html);
    }

    [Fact]
    public void Write_SurvivalRun_RanksByRiskAndShowsARiskColumn()
    {
        using var folder = new TempFolder();
        BatchReportRun run = Run with { Task = MilTask.Survival, ClassNames = [] };
        BatchReportSlide Risky(string id, float risk) => new() { SlideId = id, Status = SlideReportStatus.Scored, Risk = risk, PatchCount = 10 };

        BatchReportResult result = BatchReport.Write(folder.Path, run,
            [Risky("low", -1.5f), Risky("high", 2.25f), new() { SlideId = "gone", Status = SlideReportStatus.Failed, Reason = "unreadable" }, Risky("mid", 0.1f)]);

        string html = File.ReadAllText(result.Path);
        Assert.Equal(["high", "mid", "low", "gone"], TableSlideIds(html));
        Assert.Contains("<button type=\"button\">Risk</button>", html);
        Assert.DoesNotContain(">Prediction</button>", html);
        Assert.Contains("<td data-value=\"2.25\" class=\"num\">2.250</td>", html);
        Assert.Contains("Survival: predicted risk, ranked highest first", html);
        Assert.Null(result.Metrics);
    }

    [Fact]
    public void Write_PositiveClassNamed_RanksByThatClass()
    {
        using var folder = new TempFolder();

        BatchReportResult result = BatchReport.Write(folder.Path, Run with { PositiveClass = "normal" },
            [ReportHeatmapFixture.Scored("mostly-tumor", 0.9f), ReportHeatmapFixture.Scored("mostly-normal", 0.1f)]);

        Assert.Equal(["mostly-normal", "mostly-tumor"], TableSlideIds(File.ReadAllText(result.Path)));
    }

    public static TheoryData<string, BatchReportSlide[]> InvalidSlides => new()
    {
        { "Slide 'a' appears twice", [ReportHeatmapFixture.Scored("a", 0.9f), ReportHeatmapFixture.Scored("a", 0.1f)] },
        { "Slide 'a' has 3 probabilities for 2 classes (normal, tumor)", [ReportHeatmapFixture.Scored("a", 0.9f) with { Probabilities = [0.1f, 0.2f, 0.7f] }] },
        { "Slide 'a' is scored by a classifier but has no probabilities", [ReportHeatmapFixture.Scored("a", 0.9f) with { Probabilities = null }] },
        { "Slide 'a' has probability NaN for class 'tumor'", [ReportHeatmapFixture.Scored("a", 0.9f) with { Probabilities = [0.1f, float.NaN] }] },
        { "Slide 'a' is predicted as 'cancer', which is not one of the classes", [ReportHeatmapFixture.Scored("a", 0.9f) with { PredictedClass = "cancer" }] },
        { "Slide 'b' is failed but has no reason", [new BatchReportSlide { SlideId = "b", Status = SlideReportStatus.Failed }] },
    };

    [Theory]
    [MemberData(nameof(InvalidSlides))]
    public void Write_InconsistentSlide_ThrowsNamingTheSlide_AndWritesNothing(string message, BatchReportSlide[] slides)
    {
        using var folder = new TempFolder();

        var error = Assert.Throws<ArgumentException>(() => BatchReport.Write(folder.Path, Run, slides));

        Assert.Contains(message, error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void Write_PositiveClassNotAClass_Throws()
    {
        using var folder = new TempFolder();

        var error = Assert.Throws<ArgumentException>(() => BatchReport.Write(folder.Path, Run with { PositiveClass = "cancer" }, [ReportHeatmapFixture.Scored("a", 0.9f)]));

        Assert.Contains("The positive class 'cancer' is not one of the classes (normal, tumor)", error.Message);
    }

    private static (int Width, int Height) Shrunk((int Width, int Height) size, int longSidePx)
    {
        double scale = Math.Min(1.0, (double)longSidePx / Math.Max(size.Width, size.Height));
        return ((int)Math.Round(size.Width * scale), (int)Math.Round(size.Height * scale));
    }

    /// <summary>The table's slide ids, top to bottom, unescaped.</summary>
    internal static string[] TableSlideIds(string html) =>
        [.. TableRow().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups["id"].Value))];

    /// <summary>Each table row's cell values (their data-value attributes), unescaped.</summary>
    private static List<string[]> TableCells(string html) =>
    [
        .. Regex.Matches(html, "<tr class=\"\\w+\" data-rank=\"\\d+\">(.*?)</tr>").Select(row =>
            Regex.Matches(row.Groups[1].Value, "<td data-value=\"([^\"]*)\"").Select(cell => WebUtility.HtmlDecode(cell.Groups[1].Value)).ToArray()),
    ];

    private static string[] TableRowClasses(string html) => [.. TableRow().Matches(html).Select(m => m.Groups["status"].Value)];

    private static string[] CardSlideIds(string html) => [.. CardHeading().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups["id"].Value))];

    [GeneratedRegex("<tr class=\"(?<status>\\w+)\" data-rank=\"\\d+\"><td data-value=\"\\d+\">\\d+</td><td data-value=\"[^\"]*\"><a href=\"#slide-\\d+\">(?<id>[^<]*)</a></td>")]
    private static partial Regex TableRow();

    [GeneratedRegex("<article class=\"card \\w+\" id=\"slide-\\d+\">\n<h3><span class=\"rank\">\\d+\\.</span> (?<id>[^<]*) <span class=\"badge\">")]
    private static partial Regex CardHeading();

    [GeneratedRegex("<img src=\"data:image/jpeg;base64,(?<base64>[A-Za-z0-9+/=]+)\" width=\"(?<width>\\d+)\" height=\"(?<height>\\d+)\"")]
    private static partial Regex DataUriImage();
}
