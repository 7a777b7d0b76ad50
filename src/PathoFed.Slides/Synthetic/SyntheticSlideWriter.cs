namespace PathoFed.Slides.Synthetic;

/// <summary>
/// Writes realistic synthetic whole-slide images with known tissue geometry: tiled, JPEG-compressed pyramidal TIFF
/// that OpenSlide opens as Aperio or generic TIFF, rendered tile by tile from the analytic scene in
/// <see cref="SyntheticSlideSpec"/>, so memory stays small whatever the slide size.
/// </summary>
public static class SyntheticSlideWriter
{
    /// <summary>
    /// Renders <paramref name="spec"/> to <paramref name="path"/>, atomically: the file appears complete or not at all.
    /// The same spec always produces the same bytes.
    /// </summary>
    /// <param name="progress">Receives the fraction done, from 0 to 1; 1 is reported once the file is in place.</param>
    /// <exception cref="ArgumentException">The spec is invalid (the message names the value), or the path is empty.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; no file is left behind.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void Write(string path, SyntheticSlideSpec spec, IProgress<double>? progress = null, CancellationToken cancellationToken = default) =>
        SyntheticTiffWriter.Write(path, spec, progress, cancellationToken, bigTiff: null);

    /// <summary>As <see cref="Write"/>, forcing BigTIFF (true) or classic TIFF (false) regardless of size.</summary>
    internal static void Write(string path, SyntheticSlideSpec spec, bool bigTiff, CancellationToken cancellationToken = default) =>
        SyntheticTiffWriter.Write(path, spec, null, cancellationToken, bigTiff);
}
