using OpenCvSharp;

namespace PathoFed.Heatmaps.Reports;

/// <summary>A small JPEG of an image file as a <c>data:</c> URI, or the reason there is none.</summary>
internal sealed record ReportThumbnail(string? DataUri, int Width, int Height, string? Error)
{
    /// <summary>
    /// Reads <paramref name="path"/>, shrinks it (area interpolation, never enlarging) so its long side is at most
    /// <paramref name="longSidePx"/> and encodes it as JPEG. A missing or undecodable file is an <see cref="Error"/>, not an
    /// exception: one slide's broken image must not cost the whole report.
    /// </summary>
    public static ReportThumbnail Load(string path, int longSidePx, int jpegQuality)
    {
        byte[] encoded;
        try
        {
            encoded = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Failed(e is FileNotFoundException or DirectoryNotFoundException
                ? $"'{path}' does not exist"
                : $"'{path}' cannot be read: {e.Message}");
        }

        try
        {
            using Mat image = Cv2.ImDecode(encoded, ImreadModes.Color);
            if (image.Empty()) return Failed($"'{path}' is not an image OpenCV can decode ({encoded.Length} bytes)");
            double scale = Math.Min(1.0, (double)longSidePx / Math.Max(image.Width, image.Height));
            var size = new Size(Math.Max(1, (int)Math.Round(image.Width * scale)), Math.Max(1, (int)Math.Round(image.Height * scale)));
            using var shown = new Mat();
            if (size.Width == image.Width && size.Height == image.Height) image.CopyTo(shown);
            else Cv2.Resize(image, shown, size, interpolation: InterpolationFlags.Area);
            if (!Cv2.ImEncode(".jpg", shown, out byte[] jpeg, [(int)ImwriteFlags.JpegQuality, jpegQuality]))
            {
                return Failed($"OpenCV could not encode a JPEG thumbnail of '{path}'");
            }
            return new ReportThumbnail("data:image/jpeg;base64," + Convert.ToBase64String(jpeg), shown.Width, shown.Height, null);
        }
        // A truncated or hostile PNG can make the decoder itself throw rather than return an empty image.
        catch (Exception e) when (e is OpenCVException or OpenCvSharpException)
        {
            return Failed($"'{path}' cannot be decoded: {e.Message}");
        }
    }

    private static ReportThumbnail Failed(string error) => new(null, 0, 0, error);
}
