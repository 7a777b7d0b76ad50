using System.Security.Cryptography;

namespace PathoFed.Federation.Updates;

/// <summary>
/// The nonces issued for one round, one per sampled site. A site must echo its nonce with its update, so an update
/// recorded in an earlier round (or meant for another site) cannot be replayed into this one.
/// </summary>
public sealed class RoundNonces
{
    /// <summary>Random bytes per nonce: 128 bits, so guessing one is hopeless.</summary>
    public const int NonceBytes = 16;

    private readonly Dictionary<string, string> _bySite;

    /// <summary>Restores the nonces of a round (e.g. from a coordinator checkpoint).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The round is negative.</exception>
    public RoundNonces(int round, IReadOnlyDictionary<string, string> bySite)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        ArgumentNullException.ThrowIfNull(bySite);
        Round = round;
        _bySite = new Dictionary<string, string>(bySite, StringComparer.Ordinal);
    }

    /// <summary>The round these nonces belong to.</summary>
    public int Round { get; }

    /// <summary>The nonce issued to each site (lower-case hex).</summary>
    public IReadOnlyDictionary<string, string> BySite => _bySite;

    /// <summary>Issues a fresh cryptographically random nonce to each site for <paramref name="round"/>.</summary>
    /// <exception cref="ArgumentException">A site name is empty or repeated.</exception>
    public static RoundNonces Issue(int round, IReadOnlyCollection<string> sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        var bySite = new Dictionary<string, string>(sites.Count, StringComparer.Ordinal);
        foreach (var site in sites)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(site, nameof(sites));
            if (!bySite.TryAdd(site, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(NonceBytes))))
            {
                throw new ArgumentException($"Site '{site}' appears twice in the sites of round {round}.", nameof(sites));
            }
        }

        return new RoundNonces(round, bySite);
    }

    /// <summary>Whether <paramref name="nonce"/> is the one issued to <paramref name="site"/>, compared in constant time.</summary>
    public bool Matches(string site, string nonce)
    {
        if (!_bySite.TryGetValue(site, out var issued))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(issued), System.Text.Encoding.UTF8.GetBytes(nonce ?? string.Empty));
    }

    /// <summary>Whether a nonce was issued to <paramref name="site"/> this round.</summary>
    public bool WasIssuedTo(string site) => _bySite.ContainsKey(site);
}
