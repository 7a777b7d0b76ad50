using System.Numerics.Tensors;
using System.Security.Cryptography;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.SecureAggregation;

/// <summary>The coordinator's position in a secure-aggregation session.</summary>
public enum SecureAggregationStep
{
    /// <summary>Collecting <see cref="AdvertiseKeys"/>.</summary>
    AdvertiseKeys,

    /// <summary>Collecting <see cref="ShareKeys"/>.</summary>
    ShareKeys,

    /// <summary>Collecting <see cref="MaskedInput"/>.</summary>
    MaskedInput,

    /// <summary>Collecting <see cref="UnmaskingShares"/>.</summary>
    Unmasking,

    /// <summary>The sum was computed (or the round aborted).</summary>
    Done,
}

/// <summary>
/// The coordinator's side of a secure-aggregation session: it relays keys and sealed shares, sums the masked inputs in
/// Z_2^64, and with t unmasking responses removes the survivors' self masks and the dropped sites' pairwise masks, so
/// it learns only the weighted sum. Each <c>Close…</c> call ends a step (at a deadline, say) and aborts the round with
/// <see cref="SecureAggregationException"/> when fewer than t sites are left. Not thread-safe: serialise calls.
/// </summary>
public sealed class SecureAggregationServer
{
    private readonly SecureAggregationSettings _settings;
    private readonly NamedTensor[] _layout;
    private readonly int _vectorLength;
    private readonly List<AdvertiseKeys> _advertised = [];
    private readonly Dictionary<string, int> _indexBySite = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ShareKeys> _shareKeys = new(StringComparer.Ordinal);
    private readonly List<string> _sharingSites = [];
    private readonly Dictionary<string, MaskedInput> _maskedInputs = new(StringComparer.Ordinal);
    private readonly List<string> _survivors = [];
    private readonly Dictionary<string, UnmaskingShares> _unmasking = new(StringComparer.Ordinal);

    /// <summary>Opens a session whose contributions have the layout (names, shapes) of <paramref name="layout"/>.</summary>
    public SecureAggregationServer(SecureAggregationSettings settings, IReadOnlyList<NamedTensor> layout)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(layout);
        _settings = settings.Validate();
        _layout = [.. layout];
        foreach (var tensor in _layout)
        {
            _vectorLength = checked(_vectorLength + tensor.Values.Length);
        }
    }

    /// <summary>The step whose messages are being collected.</summary>
    public SecureAggregationStep Step { get; private set; } = SecureAggregationStep.AdvertiseKeys;

    /// <summary>Step 0: records a site's public keys.</summary>
    /// <exception cref="SecureAggregationException">Wrong step, a repeated site, or more sites than the encoding allows.</exception>
    public void Receive(AdvertiseKeys message)
    {
        ArgumentNullException.ThrowIfNull(message);
        const string step = "advertise keys";
        RequireStep(SecureAggregationStep.AdvertiseKeys, step, message.Site);
        ArgumentException.ThrowIfNullOrWhiteSpace(message.Site);
        if (_indexBySite.Count >= _settings.EncodingOrDefault.MaxSites)
        {
            throw Error(step, $"site '{message.Site}' would exceed the {_settings.EncodingOrDefault.MaxSites} sites the encoding can sum without overflow.");
        }

        // Validated here so one bad key fails its sender, not the whole directory later.
        SecureAggregationKeys.ImportPublicKey(message.ChannelPublicKey, message.Site, _settings).Dispose();
        SecureAggregationKeys.ImportPublicKey(message.MaskPublicKey, message.Site, _settings).Dispose();
        if (!_indexBySite.TryAdd(message.Site, _advertised.Count))
        {
            throw Error(step, $"site '{message.Site}' advertised keys twice.");
        }

        _advertised.Add(message);
    }

    /// <summary>Ends step 0: the key directory (U1) to send to every site in it.</summary>
    /// <exception cref="SecureAggregationException">Fewer than t sites advertised keys.</exception>
    public KeyDirectory CloseAdvertising()
    {
        RequireStep(SecureAggregationStep.AdvertiseKeys, "advertise keys", site: null);
        RequireAtLeastThreshold(_advertised.Count, "advertise keys", "sites advertised keys", _advertised.Select(a => a.Site));
        Step = SecureAggregationStep.ShareKeys;
        return new KeyDirectory([.. _advertised]);
    }

    /// <summary>Step 1: records a site's sealed shares: one envelope for every other site of U1.</summary>
    /// <exception cref="SecureAggregationException">Wrong step, an unknown or repeated site, or envelopes that do not match U1.</exception>
    public void Receive(ShareKeys message)
    {
        ArgumentNullException.ThrowIfNull(message);
        const string step = "share keys";
        RequireStep(SecureAggregationStep.ShareKeys, step, message.Site);
        RequireKnown(message.Site, step);
        var expected = new HashSet<string>(_indexBySite.Keys, StringComparer.Ordinal);
        expected.Remove(message.Site);
        foreach (var envelope in message.Shares)
        {
            if (envelope.From != message.Site || !expected.Remove(envelope.To))
            {
                throw Error(step, $"site '{message.Site}' sent an envelope from '{envelope.From}' to '{envelope.To}', which is unexpected or repeated.");
            }
        }

        if (expected.Count > 0)
        {
            throw Error(step, $"site '{message.Site}' sent no shares for {string.Join(", ", expected.Order(StringComparer.Ordinal))}.");
        }

        if (!_shareKeys.TryAdd(message.Site, message))
        {
            throw Error(step, $"site '{message.Site}' shared keys twice.");
        }
    }

    /// <summary>Ends step 1: per site of U2, the list U2 and the envelopes addressed to it from the other sites of U2.</summary>
    /// <exception cref="SecureAggregationException">Fewer than t sites shared keys.</exception>
    public IReadOnlyList<ShareDelivery> CloseSharing()
    {
        const string step = "share keys";
        RequireStep(SecureAggregationStep.ShareKeys, step, site: null);
        _sharingSites.AddRange(InDirectoryOrder(_shareKeys.Keys));
        RequireAtLeastThreshold(_sharingSites.Count, step, "sites shared keys", _sharingSites);
        var sharing = new HashSet<string>(_sharingSites, StringComparer.Ordinal);
        var byRecipient = new Dictionary<string, List<EncryptedShares>>(StringComparer.Ordinal);
        foreach (var site in _sharingSites)
        {
            byRecipient[site] = [];
        }

        foreach (var site in _sharingSites)
        {
            foreach (var envelope in _shareKeys[site].Shares)
            {
                // Envelopes for sites that dropped before sharing are simply not delivered.
                if (sharing.Contains(envelope.To))
                {
                    byRecipient[envelope.To].Add(envelope);
                }
            }
        }

        Step = SecureAggregationStep.MaskedInput;
        var deliveries = new List<ShareDelivery>(_sharingSites.Count);
        foreach (var site in _sharingSites)
        {
            deliveries.Add(new ShareDelivery(site, [.. _sharingSites], byRecipient[site]));
        }

        return deliveries;
    }

    /// <summary>Step 2: records a site's masked input.</summary>
    /// <exception cref="SecureAggregationException">Wrong step, a site outside U2, a repeat, or a vector of the wrong length.</exception>
    public void Receive(MaskedInput message)
    {
        ArgumentNullException.ThrowIfNull(message);
        const string step = "masked input";
        RequireStep(SecureAggregationStep.MaskedInput, step, message.Site);
        if (!_sharingSites.Contains(message.Site))
        {
            throw Error(step, $"site '{message.Site}' did not share keys (not in U2); its input cannot be unmasked.");
        }

        if (message.Values.Length != _vectorLength + 1)
        {
            throw Error(step, $"site '{message.Site}' sent {message.Values.Length} values; the layout needs {_vectorLength} plus the weight.");
        }

        if (!_maskedInputs.TryAdd(message.Site, message))
        {
            throw Error(step, $"site '{message.Site}' sent its masked input twice.");
        }
    }

    /// <summary>Ends step 2: U3, to send to every site of U3.</summary>
    /// <exception cref="SecureAggregationException">Fewer than t masked inputs arrived.</exception>
    public UnmaskRequest CloseMaskedInput()
    {
        const string step = "masked input";
        RequireStep(SecureAggregationStep.MaskedInput, step, site: null);
        _survivors.AddRange(InDirectoryOrder(_maskedInputs.Keys));
        RequireAtLeastThreshold(_survivors.Count, step, "sites sent masked input", _survivors);
        Step = SecureAggregationStep.Unmasking;
        return new UnmaskRequest([.. _survivors]);
    }

    /// <summary>Step 3: records a survivor's revealed shares.</summary>
    /// <exception cref="SecureAggregationException">Wrong step, a site outside U3, a repeat, or shares of the wrong kind for a site.</exception>
    public void Receive(UnmaskingShares message)
    {
        ArgumentNullException.ThrowIfNull(message);
        const string step = "unmasking";
        RequireStep(SecureAggregationStep.Unmasking, step, message.Site);
        if (!_survivors.Contains(message.Site))
        {
            throw Error(step, $"site '{message.Site}' is not in U3.");
        }

        var x = _indexBySite[message.Site] + 1;
        RequireShares(message.SelfMaskShares, _survivors, x, message.Site, "self-mask");
        RequireShares(message.MaskKeyShares, Dropped(), x, message.Site, "mask-key");
        if (!_unmasking.TryAdd(message.Site, message))
        {
            throw Error(step, $"site '{message.Site}' sent its unmasking shares twice.");
        }
    }

    /// <summary>
    /// Ends the session: rebuilds each survivor's self-mask seed and each dropped site's mask key from t shares, removes
    /// those masks from the ring sum, and decodes the weighted sum.
    /// </summary>
    /// <exception cref="SecureAggregationException">Fewer than t sites answered, or a share is corrupt.</exception>
    public SecureAggregationResult Finish()
    {
        const string step = "unmasking";
        RequireStep(SecureAggregationStep.Unmasking, step, site: null);
        var responders = InDirectoryOrder(_unmasking.Keys);
        RequireAtLeastThreshold(responders.Count, step, "sites sent unmasking shares", responders);
        Step = SecureAggregationStep.Done;

        var sum = new ulong[_vectorLength + 1];
        foreach (var site in _survivors)
        {
            TensorPrimitives.Add(sum, _maskedInputs[site].Values, sum);
        }

        foreach (var site in _survivors)
        {
            var seed = Rebuild(site, responders, response => response.SelfMaskShares, MaskExpansion.SeedBytes);
            MaskExpansion.Apply(seed, sum, subtract: true);
            CryptographicOperations.ZeroMemory(seed);
        }

        var dropped = Dropped();
        foreach (var site in dropped)
        {
            RemovePairwiseMasks(site, responders, sum);
        }

        return Decode(sum, dropped);
    }

    private void RemovePairwiseMasks(string droppedSite, List<string> responders, ulong[] sum)
    {
        var scalar = Rebuild(droppedSite, responders, response => response.MaskKeyShares, SecureAggregationKeys.ScalarBytes);
        var droppedIndex = _indexBySite[droppedSite];
        using var droppedKey = SecureAggregationKeys.ImportPrivateKey(scalar, _advertised[droppedIndex].MaskPublicKey, droppedSite, _settings);
        CryptographicOperations.ZeroMemory(scalar);
        foreach (var survivor in _survivors)
        {
            var survivorIndex = _indexBySite[survivor];
            using var survivorKey = SecureAggregationKeys.ImportPublicKey(_advertised[survivorIndex].MaskPublicKey, survivor, _settings);
            var seed = SecureAggregationKeys.PairwiseMaskSeed(droppedKey, survivorKey, droppedSite, survivor, _settings);
            // The survivor added the mask if the dropped site comes later, subtracted it otherwise: undo that.
            MaskExpansion.Apply(seed, sum, subtract: survivorIndex < droppedIndex);
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    private byte[] Rebuild(string owner, List<string> responders, Func<UnmaskingShares, IReadOnlyList<RevealedShare>> kind, int secretBytes)
    {
        var shares = new List<(int X, byte[] Y)>(_settings.Threshold);
        foreach (var responder in responders)
        {
            foreach (var share in kind(_unmasking[responder]))
            {
                if (share.Owner == owner)
                {
                    shares.Add((share.X, share.Y));
                }
            }

            if (shares.Count == _settings.Threshold)
            {
                break;
            }
        }

        try
        {
            return ShamirSecretSharing.Combine(shares, _settings.Threshold, secretBytes);
        }
        catch (ArgumentException e)
        {
            throw new SecureAggregationException($"{_settings.Describe("unmasking")}: cannot rebuild the secret of site '{owner}': {e.Message}", e);
        }
    }

    private SecureAggregationResult Decode(ulong[] sum, List<string> dropped)
    {
        var encoding = _settings.EncodingOrDefault;
        var totalWeight = unchecked((long)sum[_vectorLength]);
        var weightedSum = new NamedTensor[_layout.Length];
        var weightedMean = new NamedTensor[_layout.Length];
        var offset = 0;
        for (var t = 0; t < _layout.Length; t++)
        {
            var count = _layout[t].Values.Length;
            var sumValues = new float[count];
            var meanValues = new float[count];
            for (var i = 0; i < count; i++)
            {
                var value = encoding.Decode(sum[offset + i]);
                sumValues[i] = (float)value;
                meanValues[i] = (float)(value / totalWeight);
            }

            weightedSum[t] = new NamedTensor(_layout[t].Name, (int[])_layout[t].Shape.Clone(), sumValues);
            weightedMean[t] = new NamedTensor(_layout[t].Name, (int[])_layout[t].Shape.Clone(), meanValues);
            offset += count;
        }

        return new SecureAggregationResult(weightedSum, weightedMean, totalWeight, [.. _survivors], dropped);
    }

    private List<string> Dropped()
    {
        var dropped = new List<string>();
        foreach (var site in _sharingSites)
        {
            if (!_maskedInputs.ContainsKey(site))
            {
                dropped.Add(site);
            }
        }

        return dropped;
    }

    private void RequireShares(IReadOnlyList<RevealedShare> shares, List<string> owners, int x, string site, string kind)
    {
        var expected = new HashSet<string>(owners, StringComparer.Ordinal);
        foreach (var share in shares)
        {
            if (share.X != x || share.Y.Length != ShamirSecretSharing.ShareBytes || !expected.Remove(share.Owner))
            {
                throw Error("unmasking", $"site '{site}' revealed a {kind} share of '{share.Owner}' that was not asked for or is malformed.");
            }
        }

        if (expected.Count > 0)
        {
            throw Error("unmasking", $"site '{site}' withheld its {kind} shares of {string.Join(", ", expected.Order(StringComparer.Ordinal))}.");
        }
    }

    private List<string> InDirectoryOrder(IEnumerable<string> sites)
    {
        var ordered = new List<string>(sites);
        ordered.Sort((a, b) => _indexBySite[a].CompareTo(_indexBySite[b]));
        return ordered;
    }

    private void RequireKnown(string site, string step)
    {
        if (!_indexBySite.ContainsKey(site))
        {
            throw Error(step, $"site '{site}' did not advertise keys (not in U1).");
        }
    }

    private void RequireStep(SecureAggregationStep expected, string step, string? site)
    {
        if (Step != expected)
        {
            throw Error(step, site is null
                ? $"this step cannot close while the session is at step {Step}."
                : $"a message from site '{site}' arrived while the session is at step {Step}.");
        }
    }

    private void RequireAtLeastThreshold(int count, string step, string what, IEnumerable<string> sites)
    {
        if (count < _settings.Threshold)
        {
            Step = SecureAggregationStep.Done;
            throw Error(step, $"only {count} {what} ({string.Join(", ", sites)}), fewer than the threshold t = {_settings.Threshold}; the round is aborted.");
        }
    }

    private SecureAggregationException Error(string step, string reason) => new($"{_settings.Describe(step)}: {reason}");
}
