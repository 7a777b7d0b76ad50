namespace PathoFed.Features.Extractors;

/// <summary>The three 1-D profiles whose outer products make the filter bank's Gaussian, derivative and LoG kernels.</summary>
internal enum Profile
{
    /// <summary>The sampled Gaussian, normalised to sum 1.</summary>
    Smooth,

    /// <summary>σ times the first derivative: responds +1·σ to a unit ramp rising in the positive direction.</summary>
    FirstDerivative,

    /// <summary>σ² times the second derivative, corrected to sum exactly 0 so flat regions give no response.</summary>
    SecondDerivative,
}

/// <summary>
/// Sampled Gaussian profiles as cross-correlation weights (what ONNX Conv and OpenCV filter2D apply):
/// tap k (from -radius to +radius) multiplies the pixel k steps to the right (or down) of the centre.
/// </summary>
internal static class GaussianKernels
{
    /// <summary>Truncation at 4σ keeps more than 99.99% of the Gaussian's mass.</summary>
    public static int Radius(double sigma) => (int)Math.Ceiling(4 * sigma);

    public static double[] Create(Profile profile, double sigma)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sigma);
        int radius = Radius(sigma);
        var smooth = new double[2 * radius + 1];
        double sum = 0;
        for (int k = -radius; k <= radius; k++) sum += smooth[k + radius] = Math.Exp(-(k * k) / (2 * sigma * sigma));
        for (int i = 0; i < smooth.Length; i++) smooth[i] /= sum;
        if (profile == Profile.Smooth) return smooth;

        var kernel = new double[smooth.Length];
        if (profile == Profile.FirstDerivative)
        {
            // d/dx of the smoothed image at x is sum_k -g'(k) I(x+k), and -g'(k) = k/σ² g(k); times σ for scale normalisation.
            for (int k = -radius; k <= radius; k++) kernel[k + radius] = k / sigma * smooth[k + radius];
            return kernel;
        }

        // g''(k) = (k²/σ⁴ - 1/σ²) g(k), even, so correlation and convolution agree; times σ².
        double residual = 0;
        for (int k = -radius; k <= radius; k++) residual += kernel[k + radius] = ((double)(k * k) / (sigma * sigma) - 1) * smooth[k + radius];
        // Sampling leaves a small non-zero sum, which would leak the mean stain level into the LoG; removing it
        // along the Gaussian's shape keeps the profile smooth and symmetric.
        for (int i = 0; i < kernel.Length; i++) kernel[i] -= residual * smooth[i];
        return kernel;
    }
}
