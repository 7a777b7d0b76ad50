using OpenCvSharp;

namespace PathoFed.Features.Tests.Extractors;

/// <summary>
/// The extractor's documented features computed again from the specification with OpenCV (2-D filtering with
/// BORDER_REFLECT_101, the stain matrix inverted by Cv2.Invert, statistics by Cv2.MeanStdDev), sharing no code with
/// the ONNX graph, so that the two agreeing says the graph computes what the documentation says.
/// </summary>
internal static class OpenCvTextureReference
{
    /// <summary>scikit-image's rgb_from_hed: rows H, E, DAB; columns R, G, B.</summary>
    private static readonly double[,] RgbFromHed = { { 0.65, 0.70, 0.29 }, { 0.07, 0.99, 0.11 }, { 0.27, 0.57, 0.78 } };

    private static readonly double[] Sigmas = [1, 2, 4];

    public static Dictionary<string, double> Compute(Mat bgr)
    {
        var features = new Dictionary<string, double>(StringComparer.Ordinal);
        using Mat transmittance = new();
        bgr.ConvertTo(transmittance, MatType.CV_32FC3, 1.0 / 256, 1.0 / 256); // (I + 1) / 256
        using Mat logTransmittance = new();
        Cv2.Log(transmittance, logTransmittance);
        using Mat od = new();
        logTransmittance.ConvertTo(od, MatType.CV_32FC3, -1);

        using Mat rgbFromHed = Mat.FromArray(RgbFromHed);
        using Mat hedFromRgb = new();
        Cv2.Invert(rgbFromHed, hedFromRgb, DecompTypes.LU);
        // Transform: dst_k = sum_j m[k, j] src_j over BGR source channels j; concentration_k = sum_c OD_c hedFromRgb[c, k] (c in RGB).
        using Mat m = new(3, 3, MatType.CV_64FC1);
        for (int k = 0; k < 3; k++)
        {
            for (int j = 0; j < 3; j++) m.Set(k, j, hedFromRgb.At<double>(2 - j, k));
        }
        using Mat concentrations = new();
        Cv2.Transform(od, concentrations, m);
        Cv2.Max(concentrations, 0.0, concentrations);
        Mat[] stains = Cv2.Split(concentrations);
        try
        {
            AddStain("H", stains[0], features);
            AddStain("E", stains[1], features);
            AddMeanStd("residual.raw", stains[2], features);
        }
        finally
        {
            foreach (Mat stain in stains) stain.Dispose();
        }
        return features;
    }

    private static void AddStain(string stain, Mat channel, Dictionary<string, double> features)
    {
        AddMeanStd($"{stain}.raw", channel, features);
        foreach (double sigma in Sigmas)
        {
            int radius = (int)Math.Ceiling(4 * sigma), taps = 2 * radius + 1;
            using Mat gauss = new();
            Cv2.GaussianBlur(channel, gauss, new Size(taps, taps), sigma, sigma, BorderTypes.Reflect101);
            AddMeanStd($"{stain}.gauss_s{sigma}", gauss, features);

            using Mat g = Cv2.GetGaussianKernel(taps, sigma, MatType.CV_64F) ?? throw new InvalidOperationException("no Gaussian kernel");
            using Mat d1 = new(taps, 1, MatType.CV_64FC1), d2 = new(taps, 1, MatType.CV_64FC1);
            double d2Sum = 0;
            for (int t = 0; t < taps; t++)
            {
                int k = t - radius;
                double gk = g.At<double>(t);
                d1.Set(t, k / sigma * gk);
                double second = (k * k / (sigma * sigma) - 1) * gk;
                d2.Set(t, second);
                d2Sum += second;
            }
            for (int t = 0; t < taps; t++) d2.Set(t, d2.At<double>(t) - d2Sum * g.At<double>(t));

            using Mat log = new(), xx = new(), yy = new();
            Cv2.SepFilter2D(channel, xx, MatType.CV_32F, d2, g, borderType: BorderTypes.Reflect101);
            Cv2.SepFilter2D(channel, yy, MatType.CV_32F, g, d2, borderType: BorderTypes.Reflect101);
            Cv2.Add(xx, yy, log);
            AddMeanStdAbs($"{stain}.log_s{sigma}", log, features);
            if (sigma > 2) continue;

            using Mat dx = new(), dy = new();
            Cv2.SepFilter2D(channel, dx, MatType.CV_32F, d1, g, borderType: BorderTypes.Reflect101);
            Cv2.SepFilter2D(channel, dy, MatType.CV_32F, g, d1, borderType: BorderTypes.Reflect101);
            AddMeanStdAbs($"{stain}.dx_s{sigma}", dx, features);
            AddMeanStdAbs($"{stain}.dy_s{sigma}", dy, features);
        }
    }

    private static void AddMeanStd(string map, Mat values, Dictionary<string, double> features)
    {
        Cv2.MeanStdDev(values, out Scalar mean, out Scalar deviation);
        features[$"{map}.mean"] = mean.Val0;
        features[$"{map}.std"] = deviation.Val0;
    }

    private static void AddMeanStdAbs(string map, Mat values, Dictionary<string, double> features)
    {
        AddMeanStd(map, values, features);
        using Mat absolute = new();
        Cv2.Absdiff(values, Scalar.All(0), absolute);
        features[$"{map}.absmean"] = Cv2.Mean(absolute).Val0;
    }
}
