namespace PathoFed.Federation.Updates;

/// <summary>Limits an update must respect to be aggregated.</summary>
public sealed record UpdateValidationOptions
{
    /// <summary>
    /// Largest accepted L2 norm of (local − global) over all tensors. Bounds how far one site can drag the model
    /// (poisoning); sites running DP clip to a smaller norm anyway.
    /// </summary>
    public double MaxUpdateL2Norm { get; init; } = 100.0;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The bound is not a positive finite number.</exception>
    public UpdateValidationOptions Validate()
    {
        if (!(MaxUpdateL2Norm > 0) || double.IsInfinity(MaxUpdateL2Norm))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxUpdateL2Norm), MaxUpdateL2Norm, "MaxUpdateL2Norm must be a positive finite number.");
        }

        return this;
    }
}
