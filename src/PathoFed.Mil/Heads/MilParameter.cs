namespace PathoFed.Mil.Heads;

/// <summary>
/// One trainable tensor of a head with its gradient accumulator, row-major like PyTorch (a Linear weight is [out, in]).
/// The arrays are the head's own: optimizers update <see cref="Values"/> in place.
/// </summary>
public sealed class MilParameter
{
    internal MilParameter(string name, int[] shape)
    {
        Name = name;
        Shape = shape;
        var count = 1;
        foreach (var extent in shape) count *= extent;
        Values = new float[count];
        Gradients = new float[count];
    }

    /// <summary>Stable name, e.g. <c>attention.V.weight</c>; model folders and federated updates key tensors by it.</summary>
    public string Name { get; }

    /// <summary>Extents, outermost first.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Current values.</summary>
    public float[] Values { get; }

    /// <summary>Gradient of the loss, accumulated by <see cref="IMilHead.Backward"/> until <see cref="IMilHead.ZeroGradients"/>.</summary>
    public float[] Gradients { get; }
}
