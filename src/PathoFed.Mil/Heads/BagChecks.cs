using PathoFed.Mil.Numerics;

namespace PathoFed.Mil.Heads;

/// <summary>The one place that decides whether instances can go into a head, and says why not, naming the slide.</summary>
internal static class BagChecks
{
    /// <param name="context">Appended to the slide id in messages, e.g. " (training set)"; empty for none.</param>
    /// <exception cref="MilException">Empty, wrong width, too few values, or NaN/infinity.</exception>
    public static void Validate(string slideId, ReadOnlySpan<float> instances, int instanceCount, int dim, MilHeadConfig config,
        string context = "")
    {
        if (instanceCount < 1)
            throw new MilException($"Slide {slideId}{context}: the bag has no instances (no tissue patches?); a MIL head needs at least one.");
        if (dim != config.InputDim)
            throw new MilException($"Slide {slideId}{context}: instances have {dim} features but the {config.Kind} head expects {config.InputDim}.");
        if (instances.Length != (long)instanceCount * dim)
            throw new MilException($"Slide {slideId}{context}: {instances.Length} values are not {instanceCount} instances of {dim} features.");
        var bad = VectorMath.IndexOfNonFinite(instances);
        if (bad >= 0)
            throw new MilException(
                $"Slide {slideId}{context}: instance {bad / dim}, feature {bad % dim} is {instances[bad]}; embeddings must be finite (re-extract the slide's features).");
    }

    /// <summary>The bag's first InstanceCount x Dim values, or a named error when the array is shorter.</summary>
    public static ReadOnlyMemory<float> Instances(Data.MilBag bag, string context = "")
    {
        var needed = (long)bag.InstanceCount * bag.Dim;
        if (bag.InstanceCount < 0 || bag.Dim < 0 || needed > bag.Instances.Length)
            throw new MilException(
                $"Slide {bag.SlideId}{context}: {bag.InstanceCount} instances of {bag.Dim} features need {needed} values; the bag holds {bag.Instances.Length}.");
        return bag.Instances.AsMemory(0, (int)needed);
    }
}
