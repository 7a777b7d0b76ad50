using OpenCvSharp;

namespace PathoFed.Heatmaps.Viewer;

/// <summary>Tiles encoded in memory by OpenCV; a failure is a server error naming the image, never a torn response.</summary>
internal static class TileEncoding
{
    public static byte[] Encode(string extension, Mat image, int[]? parameters = null) =>
        Cv2.ImEncode(extension, image, out byte[] encoded, parameters)
            ? encoded
            : throw new HeatmapException($"OpenCV could not encode a {image.Width} x {image.Height} {image.Type()} tile as '{extension}'.");
}
