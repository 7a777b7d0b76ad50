using OpenCvSharp;

namespace PathoFed.Heatmaps;

/// <summary>A colour map as a 256-entry BGR lookup table, taken from OpenCV's own so colours match its tools.</summary>
internal sealed class HeatmapPalette
{
    public const int Entries = 256;

    private readonly byte[] _bgr = new byte[Entries * 3];

    public HeatmapPalette(HeatmapColormap colormap)
    {
        Colormap = colormap;
        using var ramp = new Mat(1, Entries, MatType.CV_8UC1);
        for (int i = 0; i < Entries; i++) ramp.Set(0, i, (byte)i);
        using var coloured = new Mat();
        Cv2.ApplyColorMap(ramp, coloured, colormap switch
        {
            HeatmapColormap.Jet => ColormapTypes.Jet,
            HeatmapColormap.Viridis => ColormapTypes.Viridis,
            _ => throw new ArgumentOutOfRangeException(nameof(colormap), colormap, "unknown colour map"),
        });
        for (int i = 0; i < Entries; i++)
        {
            Vec3b colour = coloured.At<Vec3b>(0, i);
            _bgr[i * 3] = colour.Item0;
            _bgr[i * 3 + 1] = colour.Item1;
            _bgr[i * 3 + 2] = colour.Item2;
        }
    }

    public HeatmapColormap Colormap { get; }

    /// <summary>The table entry of a 0-1 value.</summary>
    public static int Index(float normalized) => (int)Math.Round(Math.Clamp(normalized, 0f, 1f) * (Entries - 1));

    public ReadOnlySpan<byte> Bgr(int index) => _bgr.AsSpan(index * 3, 3);

    public Scalar Colour(int index) => new(_bgr[index * 3], _bgr[index * 3 + 1], _bgr[index * 3 + 2]);
}
