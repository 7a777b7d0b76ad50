using System.Globalization;
using System.Text.Json;
using PathoFed.Slides.Synthetic;

namespace PathoFed.Slides.Tests.Synthetic;

/// <summary>One small cohort written once and shared by the read-only tests.</summary>
public sealed class SyntheticCohortFixture : IDisposable
{
    private readonly TempFolder _folder = new();

    /// <summary>Two sites of 4 slides and 3 held-out ones, 1024 px square: a few seconds on 2 cores.</summary>
    public static SyntheticCohortOptions Options { get; } = new()
    {
        Sites = ["site-a", "site-b"],
        SlidesPerSite = 4,
        HeldOutSlides = 3,
        SlideSizePx = 1024,
        Seed = 7,
    };

    public SyntheticCohortFixture()
    {
        Folder = _folder.File("cohort");
        Result = SyntheticCohort.Write(Folder, Options);
    }

    public string Folder { get; }

    public SyntheticCohortResult Result { get; }

    public void Dispose() => _folder.Dispose();
}

public sealed class SyntheticCohortTests(SyntheticCohortFixture cohort) : IClassFixture<SyntheticCohortFixture>
{
    [Fact]
    public void Write_SmallCohort_LaysOutSitesHeldOutLabelsAndFoci()
    {
        Assert.Equal(11, cohort.Result.Written);
        Assert.Equal(0, cohort.Result.Skipped);
        Assert.True(File.Exists(Path.Combine(cohort.Folder, SyntheticCohort.ManifestFileName)));

        foreach (var (site, count) in new[] { ("site-a", 4), ("site-b", 4), (SyntheticCohort.HeldOutSite, 3) })
        {
            string siteFolder = Path.Combine(cohort.Folder, site);
            string[] lines = File.ReadAllLines(Path.Combine(siteFolder, SyntheticCohort.LabelsFileName));
            Assert.Equal("slide_id,patient_id,site,label", lines[0]);
            Assert.Equal(count, lines.Length - 1);

            var foci = File.ReadAllLines(Path.Combine(siteFolder, SyntheticCohort.FociFileName)).Skip(1)
                .Select(line => line.Split(',')[0]).ToList();
            var labels = new HashSet<string>();
            for (int i = 1; i < lines.Length; i++)
            {
                string[] fields = lines[i].Split(',');
                string slideId = fields[0];
                Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{site}-{i:D3}"), slideId);
                Assert.Equal(slideId, fields[1]);
                Assert.Contains(fields[2], SyntheticCohortFixture.Options.Sites);
                Assert.Contains(fields[3], new[] { SyntheticCohort.NormalLabel, SyntheticCohort.TumourLabel });
                labels.Add(fields[3]);
                Assert.True(File.Exists(Path.Combine(siteFolder, SyntheticCohort.SlidesFolder, slideId + ".svs")), $"{slideId}.svs missing");

                // Positive slides carry 1-3 foci, negative ones none, in the CSV and the GeoJSON alike.
                int csvFoci = foci.Count(id => id == slideId);
                using JsonDocument geoJson = JsonDocument.Parse(File.ReadAllText(
                    Path.Combine(siteFolder, SyntheticCohort.FociFolder, slideId + SyntheticCohort.FociGeoJsonExtension)));
                int polygons = geoJson.RootElement.GetProperty("features").GetArrayLength();
                Assert.Equal(csvFoci, polygons);
                if (fields[3] == SyntheticCohort.TumourLabel) Assert.InRange(csvFoci, 1, 3);
                else Assert.Equal(0, csvFoci);
            }
            Assert.Equal([SyntheticCohort.NormalLabel, SyntheticCohort.TumourLabel], labels.Order());
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(siteFolder, SyntheticCohort.SlidesFolder), ".tmp-*"));
        }
    }

    [Fact]
    public void Write_FociGeoJson_PolygonsLieOnThePlannedEllipsesInLevel0Px()
    {
        SyntheticCohortSlide slide = cohort.Result.Slides.First(s => s.IsTumour);
        string path = Path.Combine(cohort.Folder, slide.Site, SyntheticCohort.FociFolder, slide.SlideId + SyntheticCohort.FociGeoJsonExtension);
        using JsonDocument geoJson = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement feature = geoJson.RootElement.GetProperty("features")[0];
        Assert.Equal("Polygon", feature.GetProperty("geometry").GetProperty("type").GetString());
        JsonElement ring = feature.GetProperty("geometry").GetProperty("coordinates")[0];
        SyntheticEllipse focus = slide.Spec.TumourFoci[0];
        Assert.Equal(ring[0].ToString(), ring[ring.GetArrayLength() - 1].ToString());
        foreach (JsonElement point in ring.EnumerateArray())
        {
            double dx = (point[0].GetDouble() - focus.CenterX) / focus.RadiusX;
            double dy = (point[1].GetDouble() - focus.CenterY) / focus.RadiusY;
            Assert.InRange(dx * dx + dy * dy, 0.999, 1.001);
        }
    }

    [Fact]
    public void Write_EverySlide_OpensWithTheSlideReaderAtTheRequestedSizeAndMpp()
    {
        foreach (SyntheticCohortSlide planned in cohort.Result.Slides)
        {
            using ISlide slide = SlideReader.Open(Path.Combine(cohort.Folder, planned.RelativePath));
            Assert.Equal("aperio", slide.Metadata.Vendor);
            Assert.Equal(1024, slide.Metadata.Level0Width);
            Assert.Equal(1024, slide.Metadata.Level0Height);
            Assert.Equal(0.5, slide.Metadata.Mpp!.Value, 6);
        }
    }

    [Fact]
    public void Write_SameSeedTwice_WritesIdenticalBytes()
    {
        using var folder = new TempFolder();
        string again = folder.File("again");
        SyntheticCohort.Write(again, SyntheticCohortFixture.Options with { MaxParallelSlides = 1 });

        string[] expected = RelativeFiles(cohort.Folder);
        Assert.Equal(expected, RelativeFiles(again));
        foreach (string file in expected)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(cohort.Folder, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(again, file))),
                $"{file} differs between two runs with the same seed");
        }
    }

    [Fact]
    public void Plan_OtherSeed_DrawsOtherSlides()
    {
        IReadOnlyList<SyntheticCohortSlide> a = SyntheticCohort.Plan(SyntheticCohortFixture.Options);
        IReadOnlyList<SyntheticCohortSlide> b = SyntheticCohort.Plan(SyntheticCohortFixture.Options with { Seed = 8 });
        Assert.Equal(a.Select(s => s.SlideId), b.Select(s => s.SlideId));
        Assert.NotEqual(a.Select(s => s.Spec.Seed), b.Select(s => s.Spec.Seed));
    }

    [Fact]
    public void Write_RerunAfterInterruption_RewritesOnlyMissingSlidesAndRemovesLeftovers()
    {
        using var folder = new TempFolder();
        string path = folder.File("cohort");
        SyntheticCohortOptions options = SyntheticCohortFixture.Options with { SlidesPerSite = 2, HeldOutSlides = 1 };
        SyntheticCohort.Write(path, options);

        string slides = Path.Combine(path, "site-b", SyntheticCohort.SlidesFolder);
        string victim = Path.Combine(slides, "site-b-002.svs");
        byte[] original = File.ReadAllBytes(victim);
        File.Delete(victim);
        string leftover = AtomicFile.TempPathFor(victim); // what a slide write killed before its rename leaves
        File.WriteAllBytes(leftover, [1, 2, 3]);
        File.Delete(Path.Combine(path, "site-b", SyntheticCohort.LabelsFileName));

        SyntheticCohortResult result = SyntheticCohort.Write(path, options);

        Assert.Equal(1, result.Written);
        Assert.Equal(4, result.Skipped);
        Assert.False(File.Exists(leftover));
        Assert.Equal(original, File.ReadAllBytes(victim));
        Assert.True(File.Exists(Path.Combine(path, "site-b", SyntheticCohort.LabelsFileName)));
    }

    [Fact]
    public void Write_FolderOfAnotherCohort_ThrowsNamingTheManifest()
    {
        using var folder = new TempFolder();
        string path = folder.File("cohort");
        SyntheticCohortOptions options = SyntheticCohortFixture.Options with { SlidesPerSite = 1, HeldOutSlides = 0 };
        SyntheticCohort.Write(path, options);

        var e = Assert.Throws<SyntheticCohortException>(() => SyntheticCohort.Write(path, options with { Seed = 99 }));
        Assert.Contains(SyntheticCohort.ManifestFileName, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Write_NonEmptyFolderWithoutManifest_Throws()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("notes.txt"), "mine");
        var e = Assert.Throws<SyntheticCohortException>(() => SyntheticCohort.Write(folder.Path, SyntheticCohortFixture.Options));
        Assert.Contains("not empty", e.Message);
    }

    [Theory]
    [InlineData("held-out", "reserved")]
    [InlineData("Bad Name", "Sites[0]")]
    public void Plan_InvalidSiteName_ThrowsNamingTheSite(string site, string fragment)
    {
        var e = Assert.Throws<ArgumentException>(() => SyntheticCohort.Plan(SyntheticCohortFixture.Options with { Sites = [site] }));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void Plan_Defaults_ThreeSitesOfTenAndSixHeldOut_EveryGroupWithBothClasses()
    {
        IReadOnlyList<SyntheticCohortSlide> plan = SyntheticCohort.Plan(new SyntheticCohortOptions());
        Assert.Equal(36, plan.Count);
        foreach (var group in plan.GroupBy(s => s.Site))
        {
            Assert.Contains(group, s => s.IsTumour);
            Assert.Contains(group, s => !s.IsTumour);
            Assert.All(group, s => Assert.Equal(s.IsTumour, s.Spec.TumourFoci.Count > 0));
        }
        Assert.Equal(4, plan.Select(s => s.Site).Distinct().Count());
        Assert.All(plan, s => Assert.Equal(SyntheticCohortOptions.DefaultSlideSizePx, s.Spec.Width));
    }

    private static string[] RelativeFiles(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal)];
}
