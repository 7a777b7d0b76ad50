namespace PathoFed.Mil.Numerics;

/// <summary>
/// A float buffer a head keeps across bags: allocated once, grown (never shrunk) when a bigger bag arrives, so steady-state
/// training allocates nothing per bag. Contents are not preserved when it grows.
/// </summary>
internal sealed class GrowableBuffer<T>
    where T : struct
{
    private T[] _values = [];

    /// <summary>The whole backing array (at least as long as the last <see cref="Take"/>), for APIs that need an array.</summary>
    public T[] Array => _values;

    /// <summary>The first <paramref name="length"/> elements; stale contents unless the caller clears them.</summary>
    public Span<T> Take(int length)
    {
        if (_values.Length < length) _values = new T[Math.Max(length, _values.Length + _values.Length / 2)];
        return _values.AsSpan(0, length);
    }

    /// <summary>The first <paramref name="length"/> elements, zeroed.</summary>
    public Span<T> TakeCleared(int length)
    {
        var span = Take(length);
        span.Clear();
        return span;
    }
}

/// <summary>A vector of ones of any length, for bias broadcasts and column sums as BLAS calls.</summary>
internal sealed class OnesVector
{
    private float[] _values = [];

    public ReadOnlySpan<float> Take(int length)
    {
        if (_values.Length < length)
        {
            _values = new float[Math.Max(length, _values.Length + _values.Length / 2)];
            Array.Fill(_values, 1f);
        }

        return _values.AsSpan(0, length);
    }
}
