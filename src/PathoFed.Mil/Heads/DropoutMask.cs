using System.Numerics.Tensors;
using PathoFed.Mil.Numerics;

namespace PathoFed.Mil.Heads;

/// <summary>Inverted dropout that remembers its mask for the backward pass.</summary>
internal sealed class DropoutMask(float rate)
{
    private readonly GrowableBuffer<float> _mask = new();
    private bool _active;
    private int _length;

    /// <summary>Zeroes each value with probability rate and scales the rest by 1/(1 − rate); identity outside training.</summary>
    public void Apply(Span<float> values, bool training, Random? rng)
    {
        _active = training && rate > 0f;
        if (!_active) return;
        ArgumentNullException.ThrowIfNull(rng);
        _length = values.Length;
        var mask = _mask.Take(_length);
        var keepScale = 1f / (1f - rate);
        for (var i = 0; i < mask.Length; i++) mask[i] = rng.NextSingle() < rate ? 0f : keepScale;
        TensorPrimitives.Multiply(values, mask, values);
    }

    /// <summary>Applies the last mask to a gradient of the same length.</summary>
    public void Backward(Span<float> gradient)
    {
        if (!_active) return;
        TensorPrimitives.Multiply(gradient, _mask.Take(_length), gradient);
    }
}
