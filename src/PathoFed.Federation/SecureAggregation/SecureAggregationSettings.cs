namespace PathoFed.Federation.SecureAggregation;

/// <summary>
/// What every party of one secure-aggregation session agrees on before it starts: a fresh session id (all keys are
/// derived per session, so masks never repeat across rounds), the round, the Shamir threshold t and the encoding.
/// </summary>
/// <param name="SessionId">Unique per session, e.g. the run id plus the round plus random bytes from the coordinator.</param>
/// <param name="Round">The federated round.</param>
/// <param name="Threshold">
/// t: shares needed to rebuild a secret, and the fewest sites that must survive every step. Choose t &gt; n/2 of the
/// sampled sites, so a coordinator cannot gather t shares from two disjoint halves.
/// </param>
/// <param name="Encoding">The fixed-point encoding; null for the defaults.</param>
public sealed record SecureAggregationSettings(string SessionId, int Round, int Threshold, FixedPointEncoding? Encoding = null)
{
    /// <summary>The encoding in force (the defaults when none was given).</summary>
    public FixedPointEncoding EncodingOrDefault => Encoding ?? DefaultEncoding;

    private static readonly FixedPointEncoding DefaultEncoding = new();

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentException">The session id is empty, the round negative, the threshold below 2, or the encoding invalid.</exception>
    public SecureAggregationSettings Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(SessionId);
        ArgumentOutOfRangeException.ThrowIfNegative(Round);
        ArgumentOutOfRangeException.ThrowIfLessThan(Threshold, 2, nameof(Threshold));
        EncodingOrDefault.Validate();
        return this;
    }

    internal string Describe(string step) => $"Secure aggregation session '{SessionId}', round {Round}, {step}";
}
