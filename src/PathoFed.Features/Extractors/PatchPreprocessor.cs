using OpenCvSharp;

namespace PathoFed.Features.Extractors;

/// <summary>
/// Turns an 8-bit BGR patch (as slides return it) into the model's input: resized to the input size when the grid's
/// patch differs, then RGB planes scaled and normalised as the manifest says, through one lookup table per channel.
/// Holds a scratch image, so use one per thread.
/// </summary>
public sealed class PatchPreprocessor : IDisposable
{
    private readonly int _size;
    private readonly float[] _lookup = new float[3 * 256]; // [channel R,G,B][8-bit value]
    private readonly Mat _resized = new();

    public PatchPreprocessor(ExtractorInput input)
    {
        _size = input.SizePx;
        float scale = input.Range == "0-1" ? 1f / 255f : 1f;
        for (int c = 0; c < 3; c++)
        {
            float mean = input.Mean?[c] ?? 0f, std = input.Std?[c] ?? 1f;
            for (int v = 0; v < 256; v++) _lookup[c * 256 + v] = (v * scale - mean) / std;
        }
    }

    /// <summary>Floats one patch takes: 3 x size x size.</summary>
    public int ValuesPerPatch => 3 * _size * _size;

    /// <summary>Writes <paramref name="bgr"/> into <paramref name="destination"/> (3 planes R, G, B of size x size).</summary>
    public unsafe void Write(Mat bgr, Span<float> destination)
    {
        if (bgr.Type() != MatType.CV_8UC3) throw new ArgumentException($"Expected an 8-bit BGR patch, got {bgr.Type()}", nameof(bgr));
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, ValuesPerPatch);
        Mat source = bgr;
        if (bgr.Rows != _size || bgr.Cols != _size)
        {
            var interpolation = bgr.Rows > _size ? InterpolationFlags.Area : InterpolationFlags.Cubic;
            Cv2.Resize(bgr, _resized, new Size(_size, _size), interpolation: interpolation);
            source = _resized;
        }

        int plane = _size * _size;
        Span<float> red = destination.Slice(0, plane), green = destination.Slice(plane, plane), blue = destination.Slice(2 * plane, plane);
        ReadOnlySpan<float> lutR = _lookup.AsSpan(0, 256), lutG = _lookup.AsSpan(256, 256), lutB = _lookup.AsSpan(512, 256);
        for (int y = 0; y < _size; y++)
        {
            byte* row = (byte*)source.Ptr(y);
            int offset = y * _size;
            for (int x = 0; x < _size; x++)
            {
                byte* pixel = row + 3 * x;
                blue[offset + x] = lutB[pixel[0]];
                green[offset + x] = lutG[pixel[1]];
                red[offset + x] = lutR[pixel[2]];
            }
        }
    }

    public void Dispose() => _resized.Dispose();
}
