using OpenCvSharp;

namespace PathoFed.Slides.Tissue;

/// <summary>
/// CLAM's tissue segmentation: HSV saturation, median blur, a threshold (Otsu or fixed), morphological closing,
/// then contours with holes filtered by area. Stained tissue is saturated; glass, and the white or grey background
/// around it, is not. Marker ink and black borders are removed first because they are saturated or dark too.
/// </summary>
public sealed class SaturationTissueDetector : ITissueDetector
{
    private readonly TissueDetectionOptions _options;

    public SaturationTissueDetector(TissueDetectionOptions? options = null) =>
        _options = (options ?? TissueDetectionOptions.Default).Validate();

    public double DownsampleFor(SlideMetadata metadata) => _options.DownsampleFor(metadata.Level0Width, metadata.Level0Height);

    public TissueMask Detect(SlideThumbnail thumbnail)
    {
        using var hsv = new Mat();
        Cv2.CvtColor(thumbnail.Image, hsv, ColorConversionCodes.BGR2HSV);
        Mat[] channels = Cv2.Split(hsv);
        try
        {
            using var saturation = new Mat();
            Cv2.MedianBlur(channels[1], saturation, _options.MedianBlurPx);

            using var binary = new Mat();
            int threshold = _options.SaturationThreshold ?? OtsuThreshold(saturation);
            Cv2.Threshold(saturation, binary, threshold, 255, ThresholdTypes.Binary);

            using (Mat excluded = InkAndDarkPixels(channels[0], channels[1], channels[2]))
            {
                binary.SetTo(Scalar.Black, excluded);
            }

            if (_options.CloseKernelPx > 0)
            {
                using Mat kernel = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(_options.CloseKernelPx, _options.CloseKernelPx));
                Cv2.MorphologyEx(binary, binary, MorphTypes.Close, kernel);
            }

            return BuildMask(binary, thumbnail, threshold);
        }
        finally
        {
            foreach (Mat channel in channels) channel.Dispose();
        }
    }

    private int OtsuThreshold(Mat saturation)
    {
        using var ignored = new Mat();
        double otsu = Cv2.Threshold(saturation, ignored, 0, 255, ThresholdTypes.Binary | ThresholdTypes.Otsu);
        return Math.Max(_options.MinOtsuThreshold, (int)Math.Round(otsu));
    }

    /// <summary>
    /// Marker ink by hue (OpenCV hue is 0-180): blue pens sit near 105-115 and green near 60, well apart from
    /// eosin pink (160-180, 0-10) and haematoxylin purple (125-160). Black ink and scanner borders are simply dark.
    /// </summary>
    private Mat InkAndDarkPixels(Mat hue, Mat saturation, Mat value)
    {
        var excluded = new Mat(hue.Size(), MatType.CV_8UC1, Scalar.Black);
        using var part = new Mat();
        using var saturated = new Mat();
        if (_options.RemovePenMarks)
        {
            Cv2.Threshold(saturation, saturated, 80, 255, ThresholdTypes.Binary);
            Cv2.InRange(hue, new Scalar(35), new Scalar(122), part); // green through blue
            Cv2.BitwiseAnd(part, saturated, part);
            Cv2.BitwiseOr(excluded, part, excluded);
        }
        if (_options.RemovePenMarks || _options.RemoveDarkPixels)
        {
            Cv2.Threshold(value, part, 50, 255, ThresholdTypes.BinaryInv); // V < 50: black ink, borders
            Cv2.BitwiseOr(excluded, part, excluded);
        }
        if (_options.RemovePenMarks)
        {
            // Ink edges blend into the stroma and leave a saturated fringe: grow the ink mask a little.
            using Mat kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(5, 5));
            Cv2.Dilate(excluded, excluded, kernel);
        }
        return excluded;
    }

    private TissueMask BuildMask(Mat binary, SlideThumbnail thumbnail, int threshold)
    {
        Cv2.FindContours(binary, out Point[][] contours, out HierarchyIndex[] hierarchy, RetrievalModes.CComp, ContourApproximationModes.ApproxSimple);
        double level0PerMaskPx2 = thumbnail.Level0PerPxX * thumbnail.Level0PerPxY;
        double minRegion = _options.MinRegionAreaLevel0Px / level0PerMaskPx2;
        double minHole = _options.MinHoleAreaLevel0Px / level0PerMaskPx2;

        var mask = new Mat(binary.Size(), MatType.CV_8UC1, Scalar.Black);
        var regions = new List<TissueRegion>();
        for (int i = 0; i < contours.Length; i++)
        {
            if (hierarchy[i].Parent >= 0) continue; // holes are visited through their parent

            var holes = new List<(Point[] Ring, double Area)>();
            for (int child = hierarchy[i].Child; child >= 0; child = hierarchy[child].Next)
            {
                double holeArea = Cv2.ContourArea(contours[child]);
                if (holeArea >= minHole && holeArea > 0) holes.Add((contours[child], holeArea));
            }
            holes.Sort((a, b) => b.Area.CompareTo(a.Area));
            if (holes.Count > _options.MaxHolesPerRegion) holes.RemoveRange(_options.MaxHolesPerRegion, holes.Count - _options.MaxHolesPerRegion);

            double area = Cv2.ContourArea(contours[i]) - holes.Sum(h => h.Area);
            if (area < minRegion || area <= 0) continue;

            Cv2.DrawContours(mask, contours, i, Scalar.White, thickness: -1);
            foreach (var hole in holes) Cv2.FillPoly(mask, [hole.Ring], Scalar.Black);
            regions.Add(new TissueRegion(
                ToLevel0(contours[i], thumbnail),
                holes.Select(h => ToLevel0(h.Ring, thumbnail)).ToList(),
                area * level0PerMaskPx2));
        }
        return new TissueMask(mask, thumbnail.Level0PerPxX, thumbnail.Level0PerPxY, regions, threshold);
    }

    private static IReadOnlyList<Level0Point> ToLevel0(Point[] ring, SlideThumbnail thumbnail) =>
        ring.Select(p => new Level0Point((p.X + 0.5) * thumbnail.Level0PerPxX, (p.Y + 0.5) * thumbnail.Level0PerPxY)).ToArray(); // pixel centres
}
