namespace PathoFed.Slides.Tests.Reading;

public sealed class SlideResolutionTests
{
    [Theory]
    [InlineData("centimeter", 20000.0, 0.5)]
    [InlineData("inch", 50800.0, 0.5)]
    [InlineData("3", 40000.0, 0.25)]
    public void FromTiffTags_PhysicalUnit_GivesMicronsPerPixel(string unit, double pixelsPerUnit, double expectedMpp)
    {
        var properties = Tags(unit, pixelsPerUnit);
        var mpp = SlideResolution.FromTiffTags(properties);
        Assert.NotNull(mpp);
        Assert.Equal(expectedMpp, mpp.Value.X, 9);
        Assert.Equal(expectedMpp, mpp.Value.Y, 9);
    }

    [Theory]
    [InlineData("none", 20000.0)]        // an aspect ratio, not a size
    [InlineData("inch", 72.0)]           // the writer default: 352.8 µm/px
    [InlineData("centimeter", 0.0)]
    public void FromTiffTags_NoPhysicalMicroscopyResolution_GivesNull(string unit, double pixelsPerUnit) =>
        Assert.Null(SlideResolution.FromTiffTags(Tags(unit, pixelsPerUnit)));

    [Fact]
    public void Resolve_PrefersTheVendorsResolutionToTiffTags()
    {
        var properties = new Dictionary<string, string>(Tags("centimeter", 40000))
        {
            ["openslide.mpp-x"] = "0.2527",
            ["openslide.mpp-y"] = "0.2529",
        };
        var (x, y, source) = SlideResolution.Resolve(properties);
        Assert.Equal((0.2527, 0.2529, MppSource.Vendor), (x, y, source));
    }

    private static Dictionary<string, string> Tags(string unit, double pixelsPerUnit) => new()
    {
        ["tiff.ResolutionUnit"] = unit,
        ["tiff.XResolution"] = pixelsPerUnit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["tiff.YResolution"] = pixelsPerUnit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
