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
        // One draw from rng seeds a SplitMix64 stream cut into 16-bit uniforms, four per step: a slide-sized bag needs
        // millions of mask entries, and one Random call each cost ~15% of a training step. The rate is thus resolved
        // to 1/65536.
        var state = (ulong)rng.NextInt64();
        var dropBelow = (uint)Math.Round(rate * 65536.0);
        for (var i = 0; i < mask.Length; i += 4)
        {
            var bits = SplitMix64(ref state);
            var end = Math.Min(4, mask.Length - i);
            for (var j = 0; j < end; j++, bits >>= 16) mask[i + j] = (bits & 0xFFFF) < dropBelow ? 0f : keepScale;
        }

        TensorPrimitives.Multiply(values, mask, values);
    }

    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Applies the last mask to a gradient of the same length.</summary>
    public void Backward(Span<float> gradient)
    {
        if (!_active) return;
        TensorPrimitives.Multiply(gradient, _mask.Take(_length), gradient);
    }
}
