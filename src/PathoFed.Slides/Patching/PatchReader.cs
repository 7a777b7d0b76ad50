using OpenCvSharp;

namespace PathoFed.Slides.Patching;

/// <summary>
/// Reads patches at the grid's target resolution: a region of the best pyramid level, shrunk with area
/// interpolation when the level is finer than the target. Holds one scratch buffer, so use one reader per thread.
/// </summary>
public sealed class PatchReader : IDisposable
{
    private readonly ISlide _slide;
    private readonly PatchGridGeometry _geometry;
    private readonly Mat _region = new();

    public PatchReader(ISlide slide, PatchGridGeometry geometry)
    {
        _slide = slide;
        _geometry = geometry;
    }

    /// <summary>Fills <paramref name="destination"/> with the PatchSizePx x PatchSizePx BGR patch whose level-0 top-left is given.</summary>
    public void Read(long level0X, long level0Y, Mat destination)
    {
        int size = _geometry.PatchSizePx;
        if (_geometry.ReadSizePx == size)
        {
            _slide.ReadRegion(level0X, level0Y, _geometry.ReadLevel, size, size, destination);
            return;
        }
        _slide.ReadRegion(level0X, level0Y, _geometry.ReadLevel, _geometry.ReadSizePx, _geometry.ReadSizePx, _region);
        destination.Create(size, size, MatType.CV_8UC3);
        var interpolation = _geometry.ReadSizePx > size ? InterpolationFlags.Area : InterpolationFlags.Linear;
        Cv2.Resize(_region, destination, new Size(size, size), interpolation: interpolation);
    }

    public void Dispose() => _region.Dispose();
}
