using System.Globalization;
using OpenCvSharp;

namespace PathoFed.Slides.Synthetic;

/// <summary>The small non-pyramid images of an Aperio slide: thumbnail, slide label and macro photograph (BGR).</summary>
internal static class SyntheticAssociatedImages
{
    public const int LabelSizePx = 480;
    public const int MacroWidthPx = 1500;   // a 75 x 25 mm slide
    public const int MacroHeightPx = 500;
    private const int MacroBorderPx = 20;

    public static Mat RenderThumbnail(SyntheticSlideSpec spec, SyntheticSceneRenderer renderer)
    {
        var (downsample, width, height) = SyntheticPyramid.Fit(spec.Width, spec.Height, SyntheticPyramid.ThumbnailLongSidePx, SyntheticPyramid.ThumbnailLongSidePx);
        return RenderWhole(renderer, downsample, width, height);
    }

    /// <summary>A paper label: a barcode-like pattern from the seed and printed text naming the slide.</summary>
    public static Mat RenderLabel(SyntheticSlideSpec spec)
    {
        var label = new Mat(LabelSizePx, LabelSizePx, MatType.CV_8UC3, new Scalar(246, 248, 250));
        var random = new SplitMix64(SyntheticHash.Hash(0x1ABE1UL, spec.Seed, 0));
        for (int x = 40; x < LabelSizePx - 40;)
        {
            int bar = 2 + random.NextInt(5);
            if (random.NextInt(2) == 0) Cv2.Rectangle(label, new Rect(x, 36, bar, 110), Scalar.Black, -1);
            x += bar;
        }

        string[] lines =
        [
            "PathoFed",
            "synthetic",
            string.Create(CultureInfo.InvariantCulture, $"seed {spec.Seed}"),
            string.Create(CultureInfo.InvariantCulture, $"{spec.Width} x {spec.Height}"),
            string.Create(CultureInfo.InvariantCulture, $"{spec.Mpp} um/px {spec.ObjectivePower}x"),
        ];
        for (int i = 0; i < lines.Length; i++)
        {
            double scale = i < 2 ? 1.5 : 0.9;
            Cv2.PutText(label, lines[i], new Point(40, 215 + i * 56), HersheyFonts.HersheySimplex, scale, Scalar.Black, i < 2 ? 3 : 2, LineTypes.AntiAlias);
        }
        return label;
    }

    /// <summary>A photograph of the whole glass slide: the label at the left end, the tissue overview on the right.</summary>
    public static Mat RenderMacro(SyntheticSlideSpec spec, SyntheticSceneRenderer renderer)
    {
        var macro = new Mat(MacroHeightPx, MacroWidthPx, MatType.CV_8UC3, new Scalar(200, 198, 196));
        int labelSide = MacroHeightPx - 2 * MacroBorderPx;
        using (Mat label = RenderLabel(spec))
        using (Mat labelRoi = macro[new Rect(MacroBorderPx, MacroBorderPx, labelSide, labelSide)])
        {
            Cv2.Resize(label, labelRoi, labelRoi.Size(), 0, 0, InterpolationFlags.Area);
        }

        int areaX = MacroHeightPx + MacroBorderPx;
        int areaWidth = MacroWidthPx - areaX - MacroBorderPx;
        int areaHeight = MacroHeightPx - 2 * MacroBorderPx;
        using (Mat glass = macro[new Rect(areaX, MacroBorderPx, areaWidth, areaHeight)])
        {
            glass.SetTo(new Scalar(242, 238, 240)); // the renderer's glass, BGR
        }
        var (downsample, width, height) = SyntheticPyramid.Fit(spec.Width, spec.Height, areaWidth, areaHeight);
        using Mat scene = RenderWhole(renderer, downsample, width, height);
        using Mat sceneRoi = macro[new Rect(areaX + (areaWidth - width) / 2, MacroBorderPx + (areaHeight - height) / 2, width, height)];
        scene.CopyTo(sceneRoi);
        return macro;
    }

    private static Mat RenderWhole(SyntheticSceneRenderer renderer, double downsample, int width, int height)
    {
        var image = new Mat();
        try
        {
            using var scratch = new SyntheticRenderScratch();
            renderer.Render(downsample, 0, 0, width, height, image, scratch);
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }
}
