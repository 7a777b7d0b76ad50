using System.Numerics.Tensors;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Updates;

/// <summary>Checks a site's tensors against the global model; shared by the validator and the strategies so both refuse alike.</summary>
internal static class ParameterLayout
{
    /// <summary>Same count, names, order and shapes as <paramref name="global"/>, and values that fill the shape.</summary>
    public static void RequireSameLayout(string site, int round, IReadOnlyList<NamedTensor> global, IReadOnlyList<NamedTensor> tensors)
    {
        if (tensors.Count != global.Count)
        {
            throw new InvalidSiteUpdateException(site, round, $"it has {tensors.Count} tensors, the global model has {global.Count}.");
        }

        for (var t = 0; t < global.Count; t++)
        {
            var expected = global[t];
            var actual = tensors[t];
            if (!string.Equals(actual.Name, expected.Name, StringComparison.Ordinal))
            {
                throw new InvalidSiteUpdateException(
                    site, round, $"tensor {t} is named '{actual.Name}', the global model's is '{expected.Name}'.", actual.Name);
            }

            if (!actual.Shape.AsSpan().SequenceEqual(expected.Shape))
            {
                throw new InvalidSiteUpdateException(
                    site, round,
                    $"tensor '{actual.Name}' has shape [{string.Join(',', actual.Shape)}], the global model's is [{string.Join(',', expected.Shape)}].",
                    actual.Name);
            }

            if (actual.Values.Length != expected.Values.Length)
            {
                throw new InvalidSiteUpdateException(
                    site, round, $"tensor '{actual.Name}' holds {actual.Values.Length} values, its shape needs {expected.Values.Length}.", actual.Name);
            }
        }
    }

    /// <summary>Every value is finite (a NaN or infinity would poison every weighted mean it enters).</summary>
    public static void RequireFinite(string site, int round, IReadOnlyList<NamedTensor> tensors)
    {
        foreach (var tensor in tensors)
        {
            var values = tensor.Values;
            for (var i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                {
                    throw new InvalidSiteUpdateException(site, round, $"tensor '{tensor.Name}' has {values[i]} at index {i}.", tensor.Name);
                }
            }
        }
    }

    /// <summary>L2 norm of (tensors − global) over all tensors; the layouts must already match.</summary>
    public static double DistanceL2(IReadOnlyList<NamedTensor> global, IReadOnlyList<NamedTensor> tensors)
    {
        var sumOfSquares = 0.0;
        for (var t = 0; t < global.Count; t++)
        {
            double distance = TensorPrimitives.Distance<float>(tensors[t].Values, global[t].Values);
            sumOfSquares += distance * distance;
        }

        return Math.Sqrt(sumOfSquares);
    }
}
