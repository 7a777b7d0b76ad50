using System.Numerics.Tensors;
using PathoFed.Mil.Numerics;

namespace PathoFed.Mil.Heads;

/// <summary>Per-instance Linear(D → H) + ReLU + dropout, shared by ABMIL and mean pooling; keeps its activations for backward.</summary>
internal sealed class InstanceEncoder(DenseLayer layer, float dropoutRate)
{
    private readonly GrowableBuffer<float> _activations = new();
    private readonly DropoutMask _dropout = new(dropoutRate);
    private int _rows;

    public int OutputDim => layer.OutputDim;

    /// <summary>The encoded instances (rows x H) of the latest forward pass.</summary>
    public Span<float> Activations => _activations.Take(_rows * OutputDim);

    public Span<float> Forward(ReadOnlySpan<float> instances, int rows, bool training, Random? rng)
    {
        _rows = rows;
        var h = _activations.Take(rows * OutputDim);
        layer.Forward(instances, rows, h);
        TensorPrimitives.Max(h, 0f, h);
        _dropout.Apply(h, training, rng);
        return h;
    }

    /// <summary>Accumulates the layer's parameter gradients; <paramref name="activationGradient"/> is overwritten.</summary>
    public void Backward(ReadOnlySpan<float> instances, Span<float> activationGradient)
    {
        _dropout.Backward(activationGradient);
        // After dropout's backward, a zero activation means ReLU was off or the unit was dropped: either way no gradient.
        VectorMath.ReluBackward(Activations, activationGradient);
        layer.Backward(instances, activationGradient, _rows, Span<float>.Empty);
    }
}
