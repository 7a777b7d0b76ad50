using System.Globalization;

namespace PathoFed.Features.Onnx;

/// <summary>
/// One dimension of a graph input or output shape: a fixed size, a named symbolic size shared by every tensor that
/// uses the same name (the batch "N"), or, as <c>default</c>, an unknown size.
/// Converts implicitly from <see cref="long"/> and <see cref="string"/>, so a shape reads <c>"N", 3, 224, 224</c>.
/// </summary>
public readonly record struct OnnxDim
{
    private OnnxDim(long? value, string? symbol)
    {
        Value = value;
        Symbol = symbol;
    }

    /// <summary>The fixed size, or null for a symbolic or unknown dimension.</summary>
    public long? Value { get; }

    /// <summary>The symbolic name, or null for a fixed or unknown dimension.</summary>
    public string? Symbol { get; }

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative.</exception>
    public static OnnxDim Fixed(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return new OnnxDim(value, null);
    }

    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
    public static OnnxDim Symbolic(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new OnnxDim(null, name);
    }

    public static implicit operator OnnxDim(long value) => Fixed(value);

    public static implicit operator OnnxDim(string name) => Symbolic(name);

    public override string ToString() => Symbol ?? Value?.ToString(CultureInfo.InvariantCulture) ?? "?";
}
