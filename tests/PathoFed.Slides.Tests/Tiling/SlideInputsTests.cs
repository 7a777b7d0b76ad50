using PathoFed.Slides.Tiling;

namespace PathoFed.Slides.Tests.Tiling;

public sealed class SlideInputsTests
{
    [Fact]
    public void Resolve_Folder_FindsSlideFilesAndKeepsExtensionsWhereStemsClash()
    {
        IReadOnlyList<SlideSource> sources = SlideInputs.Resolve([TestSlides.Folder]);
        string[] ids = sources.Select(s => s.SlideId).ToArray();

        Assert.Contains("small_HE", ids);
        Assert.Contains("boxes.png", ids);    // boxes.png and boxes.tiff share a stem
        Assert.Contains("boxes.tiff", ids);
        Assert.DoesNotContain(sources, s => s.Path.EndsWith(".md", StringComparison.Ordinal));
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public void Resolve_Manifest_ReadsPathsRelativeToItIdsAndMpp()
    {
        using var temp = new TempFolder();
        File.Copy(TestSlides.BoxesTiff, temp.File("b.tiff"));
        File.WriteAllText(temp.File("cohort.csv"), "slide_id,path,mpp\r\ncase-1,b.tiff,0.25\n\"case,2\",\"" + TestSlides.SmallHE + "\",\n");

        IReadOnlyList<SlideSource> sources = SlideInputs.Resolve([temp.File("cohort.csv")], fallbackMpp: 0.5);

        Assert.Equal(2, sources.Count);
        Assert.Equal(new SlideSource("case-1", Path.Combine(temp.Path, "b.tiff"), MppOverride: 0.25, MppFallback: 0.5), sources[0]);
        Assert.Equal(new SlideSource("case,2", TestSlides.SmallHE, MppOverride: null, MppFallback: 0.5), sources[1]);
    }

    [Fact]
    public void Resolve_ManifestWithoutPathColumn_NamesTheFileAndColumns()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("bad.csv"), "slide,label\na,1\n");
        var error = Assert.Throws<SlideInputException>(() => SlideInputs.Resolve([temp.File("bad.csv")]));
        Assert.Contains("bad.csv", error.Message);
        Assert.Contains("'path'", error.Message);
    }

    [Fact]
    public void Resolve_ManifestWithBadMpp_NamesTheLine()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("bad.csv"), "path,mpp\na.svs,0.5\nb.svs,fast\n");
        var error = Assert.Throws<SlideInputException>(() => SlideInputs.Resolve([temp.File("bad.csv")]));
        Assert.Contains("line 3", error.Message);
        Assert.Contains("'fast'", error.Message);
    }

    [Fact]
    public void Resolve_SameFileNameInTwoFolders_IsRefused()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("a"));
        Directory.CreateDirectory(temp.File("b"));
        File.Copy(TestSlides.SmallSvs, temp.File("a/s.svs"));
        File.Copy(TestSlides.SmallSvs, temp.File("b/s.svs"));
        var error = Assert.Throws<SlideInputException>(() => SlideInputs.Resolve([temp.Path]));
        Assert.Contains("slide_id", error.Message);
    }

    [Fact]
    public void Resolve_MissingFile_IsKeptSoThatItFailsOnItsOwn()
    {
        IReadOnlyList<SlideSource> sources = SlideInputs.Resolve(["/nonexistent/x.svs"]);
        Assert.Equal("x", Assert.Single(sources).SlideId);
    }

    [Fact]
    public void Csv_FormatThenParse_RoundTripsQuotesCommasAndNewlines()
    {
        string[] fields = ["plain", "with,comma", "with \"quote\"", "two\nlines", ""];
        List<string[]> parsed = Csv.Parse(Csv.FormatRow(fields) + "\n");
        Assert.Equal(fields, Assert.Single(parsed));
    }
}
