using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Training;

namespace PathoFed.Mil.Tests.Heads;

/// <summary>
/// Central finite differences of a batch loss against a head's backward pass, for every element of every parameter tensor.
/// With dropout, every forward pass draws its mask from a fresh Random(maskSeed + bag), so the mask is the same fixed
/// function of the bag in every evaluation.
/// </summary>
internal static class GradientCheck
{
    public static void AssertMatchesFiniteDifferences(IMilHead head, IReadOnlyList<MilExample> examples, MilLoss loss,
        int? maskSeed = null, IReadOnlySet<string>? zeroByDesign = null, float step = 3e-3f, double tolerance = 1e-2)
    {
        AccumulateGradients(head, examples, loss, maskSeed);
        var failures = new List<string>();
        foreach (var parameter in head.Parameters)
        {
            var analytic = parameter.Gradients.ToArray();
            var numeric = new double[analytic.Length];
            for (var i = 0; i < numeric.Length; i++)
            {
                var original = parameter.Values[i];
                parameter.Values[i] = original + step;
                var plus = BatchLoss(head, examples, loss, maskSeed);
                parameter.Values[i] = original - step;
                var minus = BatchLoss(head, examples, loss, maskSeed);
                parameter.Values[i] = original;
                numeric[i] = (plus - minus) / (2.0 * step);
            }

            if (zeroByDesign?.Contains(parameter.Name) == true)
            {
                // A gradient that is zero in exact arithmetic: both sides must be at rounding level.
                var largest = Math.Max(numeric.Max(Math.Abs), analytic.Max(Math.Abs));
                if (largest > 1e-4) failures.Add($"{parameter.Name}: should have no gradient, has {largest:G3}");
                continue;
            }

            var failure = Compare(parameter.Name, numeric, analytic, tolerance);
            if (failure is not null) failures.Add(failure);
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>‖numeric − analytic‖ / (‖numeric‖ + ‖analytic‖) below the tolerance, and a gradient that is not all zero.</summary>
    public static void AssertClose(string name, IReadOnlyList<double> numeric, IReadOnlyList<float> analytic, double tolerance)
    {
        var failure = Compare(name, numeric, analytic, tolerance);
        Assert.True(failure is null, failure);
    }

    private static string? Compare(string name, IReadOnlyList<double> numeric, IReadOnlyList<float> analytic, double tolerance)
    {
        double difference = 0, numericNorm = 0, analyticNorm = 0;
        for (var i = 0; i < numeric.Count; i++)
        {
            difference += (numeric[i] - analytic[i]) * (numeric[i] - analytic[i]);
            numericNorm += numeric[i] * numeric[i];
            analyticNorm += (double)analytic[i] * analytic[i];
        }

        var relative = Math.Sqrt(difference) / (Math.Sqrt(numericNorm) + Math.Sqrt(analyticNorm) + 1e-12);
        if (!(analyticNorm > 0)) return $"{name}: the analytic gradient is all zero, so the check proves nothing.";
        return relative < tolerance ? null :
            $"{name}: relative error {relative:G3} (numeric [{string.Join(", ", numeric.Take(6).Select(v => v.ToString("G4")))}], analytic [{string.Join(", ", analytic.Take(6).Select(v => v.ToString("G4")))}])";
    }

    public static double BatchLoss(IMilHead head, IReadOnlyList<MilExample> examples, MilLoss loss, int? maskSeed)
    {
        var outputs = Outputs(head, examples, maskSeed);
        return loss.Compute(outputs, Targets(examples), new float[outputs.Length]);
    }

    /// <summary>The trainer's recipe for a coupled loss: all outputs, the loss, then each bag's forward again and backward.</summary>
    public static void AccumulateGradients(IMilHead head, IReadOnlyList<MilExample> examples, MilLoss loss, int? maskSeed)
    {
        var outputs = Outputs(head, examples, maskSeed);
        var gradients = new float[outputs.Length];
        loss.Compute(outputs, Targets(examples), gradients);
        head.ZeroGradients();
        var width = head.Config.OutputCount;
        for (var b = 0; b < examples.Count; b++)
        {
            Forward(head, examples, b, maskSeed);
            head.Backward(gradients.AsSpan(b * width, width));
        }
    }

    private static float[] Outputs(IMilHead head, IReadOnlyList<MilExample> examples, int? maskSeed)
    {
        var width = head.Config.OutputCount;
        var outputs = new float[examples.Count * width];
        for (var b = 0; b < examples.Count; b++) Forward(head, examples, b, maskSeed).Outputs.CopyTo(outputs.AsSpan(b * width));
        return outputs;
    }

    private static MilHeadOutput Forward(IMilHead head, IReadOnlyList<MilExample> examples, int bag, int? maskSeed) =>
        maskSeed is { } seed
            ? head.Forward(examples[bag].Bag, training: true, new Random(seed + bag))
            : head.Forward(examples[bag].Bag);

    private static MilTarget[] Targets(IReadOnlyList<MilExample> examples) => examples.Select(e => e.Target).ToArray();
}
