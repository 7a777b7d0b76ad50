using OpenCvSharp;

namespace PathoFed.Heatmaps;

/// <summary>Encodes an image in memory and writes it atomically, so a killed run never leaves a torn PNG or TIFF.</summary>
internal static class ImageFiles
{
    public static void Write(string path, Mat image)
    {
        string extension = Path.GetExtension(path);
        if (!Cv2.ImEncode(extension, image, out byte[] encoded))
        {
            throw new HeatmapException($"OpenCV could not encode a {image.Width} x {image.Height} {image.Type()} image as '{extension}' for '{path}'");
        }
        AtomicFile.WriteAllBytes(path, encoded);
    }
}
