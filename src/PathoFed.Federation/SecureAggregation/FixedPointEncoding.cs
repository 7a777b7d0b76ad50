namespace PathoFed.Federation.SecureAggregation;

/// <summary>
/// How a site's weighted contribution becomes integers in the ring Z_2^64, where pairwise masks cancel exactly.
/// A value v with weight n is clipped to [−<see cref="ClipRange"/>, <see cref="ClipRange"/>] and encoded as
/// round(n·v·2^<see cref="FractionBits"/>) in two's complement; the weight itself travels as one more plain integer.
/// </summary>
/// <remarks>
/// <para><b>Precision.</b> n·v for a float v and n ≤ 2^20 is exact in a double, so the only error is the rounding: at most
/// 2^−(FractionBits+1) per site on n·v. The decoded weighted sum over K sites is off by at most K·2^−(FractionBits+1)
/// (<see cref="MaxAbsErrorOfWeightedSum"/>); the weighted mean (sum / Σn, Σn ≥ K) by at most 2^−(FractionBits+1)
/// (<see cref="MaxAbsErrorOfWeightedMean"/>): 9.3e−10 with the defaults, below float32 resolution for values near 1.
/// The final conversion to float32 adds its own half-ulp.</para>
/// <para><b>Overflow.</b> The true sum never leaves the signed 64-bit range when
/// MaxSites·(MaxWeight·ClipRange·2^FractionBits + 1/2) &lt; 2^63, which <see cref="Validate"/> enforces. Defaults: 1024 sites ·
/// 2^20 examples · 8 · 2^29 = 2^62, half the range. Intermediate masked values wrap freely: only the final sum must fit.</para>
/// <para><b>Clipping.</b> Values outside ±ClipRange are clipped silently; submit updates (local − global), which are small,
/// not raw parameters. Under DP the update is clipped to an L2 norm C ≤ ClipRange anyway.</para>
/// </remarks>
public sealed record FixedPointEncoding
{
    /// <summary>Binary digits after the point: the scale is 2^FractionBits.</summary>
    public int FractionBits { get; init; } = 29;

    /// <summary>Largest absolute value encoded; larger ones are clipped to it.</summary>
    public double ClipRange { get; init; } = 8;

    /// <summary>Largest weight (example count) one site may contribute.</summary>
    public long MaxWeight { get; init; } = 1 << 20;

    /// <summary>Most sites whose contributions may be summed.</summary>
    public int MaxSites { get; init; } = 1024;

    /// <summary>2^<see cref="FractionBits"/>.</summary>
    public double Scale => Math.ScaleB(1.0, FractionBits);

    /// <summary>Worst-case absolute error of the decoded weighted mean: 2^−(FractionBits+1).</summary>
    public double MaxAbsErrorOfWeightedMean => 0.5 / Scale;

    /// <summary>Worst-case absolute error of the decoded weighted sum of <paramref name="sites"/> contributions.</summary>
    public double MaxAbsErrorOfWeightedSum(int sites) => sites * 0.5 / Scale;

    /// <summary>Throws when the options could let the sum overflow or make no sense.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range, or MaxSites·(MaxWeight·ClipRange·2^FractionBits + 1/2) ≥ 2^63.</exception>
    public FixedPointEncoding Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(FractionBits, 0, nameof(FractionBits));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(FractionBits, 52, nameof(FractionBits));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxWeight, 1, nameof(MaxWeight));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSites, 1, nameof(MaxSites));
        if (!(ClipRange > 0) || double.IsInfinity(ClipRange))
        {
            throw new ArgumentOutOfRangeException(nameof(ClipRange), ClipRange, "ClipRange must be a positive finite number.");
        }

        var worstSum = MaxSites * (MaxWeight * ClipRange * Scale + 0.5);
        if (!(worstSum < Math.ScaleB(1.0, 63)))
        {
            throw new ArgumentOutOfRangeException(
                nameof(FractionBits), FractionBits,
                $"{MaxSites} sites × weight {MaxWeight} × clip {ClipRange} × 2^{FractionBits} = {worstSum:G4} would overflow the signed 64-bit sum (limit 9.22e18): lower FractionBits, ClipRange, MaxWeight or MaxSites.");
        }

        return this;
    }

    /// <summary>round(weight·clip(value)·scale) in two's complement; the value must be finite.</summary>
    internal ulong Encode(float value, long weight)
    {
        var clipped = Math.Clamp((double)value, -ClipRange, ClipRange);
        return unchecked((ulong)(long)Math.Round(clipped * weight * Scale, MidpointRounding.ToEven));
    }

    /// <summary>The signed value of a ring element, unscaled.</summary>
    internal double Decode(ulong sum) => unchecked((long)sum) / Scale;
}
