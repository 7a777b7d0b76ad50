using OpenCvSharp;

namespace PathoFed.Heatmaps;

/// <summary>
/// Gaussian smoothing by normalised convolution: blur(values · mask) / blur(mask). Cells without data contribute
/// nothing to their neighbours, edges are not darkened by the missing cells beyond them, and cells without data stay
/// without data (a heatmap must not paint glass).
/// </summary>
public static class FieldSmoothing
{
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sigmaCells"/> is not positive.</exception>
    public static ScoreField Smooth(ScoreField field, double sigmaCells)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (!(sigmaCells > 0 && double.IsFinite(sigmaCells))) throw new ArgumentOutOfRangeException(nameof(sigmaCells), sigmaCells, "sigma must be positive");

        ReadOnlySpan<float> values = field.Values;
        var weighted = new float[values.Length];
        var mask = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i])) continue;
            weighted[i] = values[i];
            mask[i] = 1;
        }

        using Mat weightedMat = Mat.FromPixelData(field.Rows, field.Columns, MatType.CV_32FC1, weighted);
        using Mat maskMat = Mat.FromPixelData(field.Rows, field.Columns, MatType.CV_32FC1, mask);
        using var blurredValues = new Mat();
        using var blurredMask = new Mat();
        // Constant-zero borders: beyond the slide there is no data, exactly like a cell without patches.
        Cv2.GaussianBlur(weightedMat, blurredValues, new Size(0, 0), sigmaCells, sigmaCells, BorderTypes.Constant);
        Cv2.GaussianBlur(maskMat, blurredMask, new Size(0, 0), sigmaCells, sigmaCells, BorderTypes.Constant);

        var smoothed = new float[values.Length];
        blurredValues.GetArray(out float[] sums);
        blurredMask.GetArray(out float[] weights);
        for (int i = 0; i < values.Length; i++)
        {
            smoothed[i] = float.IsNaN(values[i]) ? float.NaN : sums[i] / weights[i];
        }
        return field.With(smoothed);
    }
}
