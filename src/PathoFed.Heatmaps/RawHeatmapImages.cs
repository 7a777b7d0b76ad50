using OpenCvSharp;

namespace PathoFed.Heatmaps;

/// <summary>
/// The field at patch resolution, one pixel per cell: <c>heatmap-raw.tif</c> holds the averaged scores as 32-bit
/// floats (NaN where no patch lies) for analysis; <c>heatmap-raw.png</c> the colours, transparent where no patch lies.
/// </summary>
internal static class RawHeatmapImages
{
    public const string ScoresFileName = "heatmap-raw.tif";
    public const string ColourFileName = "heatmap-raw.png";

    public static void Write(string folder, ScoreField scores, ColouredField colours)
    {
        using (Mat values = Mat.FromPixelData(scores.Rows, scores.Columns, MatType.CV_32FC1, scores.Values.ToArray()))
        {
            ImageFiles.Write(Path.Combine(folder, ScoresFileName), values);
        }
        using Mat bgra = colours.ToBgra();
        ImageFiles.Write(Path.Combine(folder, ColourFileName), bgra);
    }
}
