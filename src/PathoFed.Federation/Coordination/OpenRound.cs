using PathoFed.Federation.Strategies;
using PathoFed.Federation.Updates;

namespace PathoFed.Federation.Coordination;

/// <summary>
/// One attempt at a round: the sites sampled, their nonces, the task they train by, the deadline, and what came back.
/// An abandoned attempt is dropped whole; the round is re-opened as a new attempt with fresh nonces (and a fresh
/// secure-aggregation session), so nothing from the old attempt can be replayed into the new one.
/// </summary>
internal sealed class OpenRound
{
    private readonly Dictionary<string, SiteTraffic> _traffic = new(StringComparer.Ordinal);

    public OpenRound(int round, int attempt, IReadOnlyList<string> sampled, RoundNonces nonces, UpdateValidator validator,
        byte[] globalBytes, string globalSha256, string configJson, DateTimeOffset deadline, SecureAggregationRound? secure)
    {
        Round = round;
        Attempt = attempt;
        Sampled = sampled;
        Nonces = nonces;
        Validator = validator;
        GlobalBytes = globalBytes;
        GlobalSha256 = globalSha256;
        ConfigJson = configJson;
        Deadline = deadline;
        Secure = secure;
        foreach (var site in sampled) _traffic[site] = new SiteTraffic(0, 0);
    }

    public int Round { get; }

    public int Attempt { get; }

    public IReadOnlyList<string> Sampled { get; }

    public RoundNonces Nonces { get; }

    public UpdateValidator Validator { get; }

    public byte[] GlobalBytes { get; }

    public string GlobalSha256 { get; }

    public string ConfigJson { get; }

    /// <summary>When the open stage closes: training (plain, or secure stage 0), then each secure stage gets a fresh one.</summary>
    public DateTimeOffset Deadline { get; set; }

    /// <summary>The secure-aggregation session; null for plain rounds.</summary>
    public SecureAggregationRound? Secure { get; }

    /// <summary>Accepted plain updates, by site.</summary>
    public SortedDictionary<string, FitResult> Results { get; } = new(StringComparer.Ordinal);

    /// <summary>Sites that were sent the global model (audited once per attempt).</summary>
    public HashSet<string> ModelSent { get; } = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, SiteTraffic> Traffic => _traffic;

    public bool IsSampled(string site) => _traffic.ContainsKey(site);

    public void CountToSite(string site, long bytes) =>
        _traffic[site] = _traffic[site] with { BytesToSite = _traffic[site].BytesToSite + bytes };

    public void CountFromSite(string site, long bytes) =>
        _traffic[site] = _traffic[site] with { BytesFromSite = _traffic[site].BytesFromSite + bytes };

    public SiteTask.Train TrainTask(string site) =>
        new(Round, Nonces.BySite[site], GlobalBytes, GlobalSha256, ConfigJson, Deadline);
}
