using OpenCvSharp;

namespace PathoFed.Slides.Writing;

/// <summary>
/// Draws the tiles of a pyramid being written. The writer creates one renderer per worker thread, so an
/// implementation may keep scratch buffers without locking; it is disposed when the level is done.
/// </summary>
public interface IPyramidTileRenderer : IDisposable
{
    /// <summary>
    /// Fills <paramref name="destination"/> (reallocated as <paramref name="tileSizePx"/> square CV_8UC3 BGR when needed)
    /// with the tile of <paramref name="level"/> whose top-left lies at (<paramref name="levelX"/>, <paramref name="levelY"/>)
    /// in that level's pixels. Parts beyond the level's edge are padding: any colour will do.
    /// </summary>
    void Render(PyramidLevel level, long levelX, long levelY, int tileSizePx, Mat destination);
}
