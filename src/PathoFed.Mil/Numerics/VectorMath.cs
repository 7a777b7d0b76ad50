using System.Numerics;

namespace PathoFed.Mil.Numerics;

/// <summary>Elementwise pieces TensorPrimitives lacks: activation derivatives and a finiteness scan, vectorised.</summary>
internal static class VectorMath
{
    /// <summary>gradient[i] = 0 where activation[i] ≤ 0 (ReLU backward from the ReLU's output).</summary>
    public static void ReluBackward(ReadOnlySpan<float> activation, Span<float> gradient)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= activation.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var a = new Vector<float>(activation[i..]);
                var g = new Vector<float>(gradient[i..]);
                Vector.ConditionalSelect(Vector.GreaterThan(a, Vector<float>.Zero), g, Vector<float>.Zero).CopyTo(gradient[i..]);
            }
        }

        for (; i < activation.Length; i++)
            if (activation[i] <= 0f) gradient[i] = 0f;
    }

    /// <summary>destination = gradient · (1 − t²) where t = tanh(x) was the forward output; destination may be gradient.</summary>
    public static void TanhBackward(ReadOnlySpan<float> output, ReadOnlySpan<float> gradient, Span<float> destination)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= output.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var t = new Vector<float>(output[i..]);
                var g = new Vector<float>(gradient[i..]);
                (g - g * t * t).CopyTo(destination[i..]);
            }
        }

        for (; i < output.Length; i++) destination[i] = gradient[i] - gradient[i] * output[i] * output[i];
    }

    /// <summary>destination = gradient · s · (1 − s) where s = sigmoid(x) was the forward output; destination may be gradient.</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> output, ReadOnlySpan<float> gradient, Span<float> destination)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= output.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var s = new Vector<float>(output[i..]);
                var g = new Vector<float>(gradient[i..]);
                (g * s * (Vector<float>.One - s)).CopyTo(destination[i..]);
            }
        }

        for (; i < output.Length; i++) destination[i] = gradient[i] * output[i] * (1f - output[i]);
    }

    /// <summary>Index of the first NaN or infinity, or −1.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        // x − x is 0 for finite x and NaN otherwise, so one accumulated vector tells whether a slow search is needed.
        var accumulator = Vector<float>.Zero;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(values[i..]);
                accumulator += v - v;
            }
        }

        var clean = Vector.EqualsAll(accumulator, Vector<float>.Zero);
        for (var j = clean ? i : 0; j < values.Length; j++)
            if (!float.IsFinite(values[j])) return j;
        return -1;
    }
}
