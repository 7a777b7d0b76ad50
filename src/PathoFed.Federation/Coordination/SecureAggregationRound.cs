using PathoFed.Federation.SecureAggregation;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Coordination;

/// <summary>
/// The coordinator's side of one secure-aggregation session, stage by stage: collects the sites' envelopes for the
/// open stage, and on <see cref="CloseStage"/> turns the server's output into one step per site for the next stage.
/// Not thread-safe (nor is the server): the engine calls it under its lock.
/// </summary>
internal sealed class SecureAggregationRound
{
    private readonly SecureAggregationServer _server;
    private readonly Dictionary<string, SiteTask.SecureAggregationStep> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyDictionary<string, double>> _metrics = new(StringComparer.Ordinal);
    private HashSet<string> _expected;
    private readonly HashSet<string> _answered = new(StringComparer.Ordinal);

    public SecureAggregationRound(SecureAggregationSettings settings, IReadOnlyList<NamedTensor> layout, IReadOnlyCollection<string> sampled)
    {
        Settings = settings;
        _server = new SecureAggregationServer(settings, layout);
        _expected = new HashSet<string>(sampled, StringComparer.Ordinal);
    }

    public SecureAggregationSettings Settings { get; }

    /// <summary>The stage whose envelopes are being collected (<see cref="SecureAggregationStages"/>).</summary>
    public int Stage { get; private set; } = SecureAggregationStages.AdvertiseKeys;

    /// <summary>The sites expected to answer the open stage.</summary>
    public IReadOnlyCollection<string> Expected => _expected;

    /// <summary>Every expected site has answered the open stage.</summary>
    public bool StageComplete => _answered.IsSupersetOf(_expected);

    /// <summary>Whether <paramref name="site"/> answered the open stage.</summary>
    public bool HasAnswered(string site) => _answered.Contains(site);

    /// <summary>The hold-out metrics sent with the masked inputs.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Metrics => _metrics;

    /// <summary>The step <paramref name="site"/> still has to answer, if any.</summary>
    public SiteTask.SecureAggregationStep? PendingFor(string site) => _pending.GetValueOrDefault(site);

    /// <summary>Takes <paramref name="site"/>'s envelope for the open stage.</summary>
    /// <exception cref="SecureAggregationException">The site is not expected, answers twice, or the payload breaks the protocol.</exception>
    public void Receive(string site, byte[] payload)
    {
        var source = $"secure aggregation round {Settings.Round}, stage {Stage}, site '{site}'";
        if (!_expected.Contains(site)) throw new SecureAggregationException($"{source}: the site is not expected at this stage.");
        if (_answered.Contains(site)) throw new SecureAggregationException($"{source}: the site already answered this stage.");
        switch (Stage)
        {
            case SecureAggregationStages.AdvertiseKeys:
                var keys = SecureAggregationPayloads.Deserialize<AdvertiseKeys>(payload, source);
                RequireSender(keys.Site, site, source);
                _server.Receive(keys);
                break;
            case SecureAggregationStages.ShareKeys:
                var shares = SecureAggregationPayloads.Deserialize<ShareKeys>(payload, source);
                RequireSender(shares.Site, site, source);
                _server.Receive(shares);
                break;
            case SecureAggregationStages.MaskedInput:
                var submission = SecureAggregationPayloads.DeserializeMasked(payload, source);
                RequireSender(submission.Input.Site, site, source);
                _server.Receive(submission.Input);
                _metrics[site] = submission.Metrics ?? new Dictionary<string, double>();
                break;
            default:
                var unmasking = SecureAggregationPayloads.Deserialize<UnmaskingShares>(payload, source);
                RequireSender(unmasking.Site, site, source);
                _server.Receive(unmasking);
                break;
        }

        _answered.Add(site);
        _pending.Remove(site);
    }

    /// <summary>
    /// Ends the open stage: hands every site of the next stage its step (with the nonce <paramref name="nonceOf"/> gives),
    /// or after unmasking returns the sum.
    /// </summary>
    /// <exception cref="SecureAggregationException">Fewer than t sites are left: the session is aborted.</exception>
    public SecureAggregationResult? CloseStage(Func<string, string> nonceOf)
    {
        _pending.Clear();
        switch (Stage)
        {
            case SecureAggregationStages.AdvertiseKeys:
                var directory = _server.CloseAdvertising();
                var directoryPayload = SecureAggregationPayloads.Serialize(directory);
                Next(directory.Participants.Select(p => (p.Site, directoryPayload)), nonceOf);
                return null;
            case SecureAggregationStages.ShareKeys:
                Next(_server.CloseSharing().Select(d => (d.To, SecureAggregationPayloads.Serialize(d))), nonceOf);
                return null;
            case SecureAggregationStages.MaskedInput:
                var request = _server.CloseMaskedInput();
                var requestPayload = SecureAggregationPayloads.Serialize(request);
                Next(request.MaskedInputSites.Select(site => (site, requestPayload)), nonceOf);
                return null;
            default:
                return _server.Finish();
        }
    }

    private void Next(IEnumerable<(string Site, byte[] Payload)> steps, Func<string, string> nonceOf)
    {
        Stage++;
        _answered.Clear();
        _expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (site, payload) in steps)
        {
            _expected.Add(site);
            _pending[site] = new SiteTask.SecureAggregationStep(Settings.Round, Stage, nonceOf(site), payload);
        }
    }

    private static void RequireSender(string claimed, string site, string source)
    {
        // The transport authenticates the site; a message naming another site would let it act for that site.
        if (!string.Equals(claimed, site, StringComparison.Ordinal))
        {
            throw new SecureAggregationException($"{source}: the message claims to come from '{claimed}'.");
        }
    }
}
