using System.Numerics.Tensors;
using PathoFed.Federation.Updates;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Strategies;

/// <summary>The example-weighted mean of site parameters, accumulated in place tensor by tensor (Flower's <c>aggregate_inplace</c>).</summary>
internal static class WeightedMean
{
    public static NamedTensor[] Compute(int round, IReadOnlyList<NamedTensor> global, IReadOnlyList<FitResult> results)
    {
        long totalExamples = 0;
        foreach (var result in results)
        {
            ParameterLayout.RequireSameLayout(result.Site, round, global, result.Parameters);
            if (result.ExampleCount <= 0)
            {
                throw new InvalidSiteUpdateException(
                    result.Site, round, $"its {FitResult.WeightingKey} is {result.ExampleCount}; it must be positive.");
            }

            totalExamples = checked(totalExamples + result.ExampleCount);
        }

        var mean = new NamedTensor[global.Count];
        for (var t = 0; t < global.Count; t++)
        {
            var accumulator = new float[global[t].Values.Length];
            foreach (var result in results)
            {
                // One site gets weight exactly 1f, so its parameters come back bit for bit.
                var weight = (float)((double)result.ExampleCount / totalExamples);
                TensorPrimitives.MultiplyAdd(result.Parameters[t].Values, weight, accumulator, accumulator);
            }

            mean[t] = new NamedTensor(global[t].Name, (int[])global[t].Shape.Clone(), accumulator);
        }

        return mean;
    }
}
