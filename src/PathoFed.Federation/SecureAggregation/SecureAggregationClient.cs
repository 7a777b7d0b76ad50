using System.Security.Cryptography;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.SecureAggregation;

/// <summary>
/// One site's side of a secure-aggregation session (Bonawitz et al. 2017, semi-honest variant with double masking):
/// <see cref="AdvertiseKeys"/> → <see cref="ShareKeys"/> → <see cref="MaskInput"/> → <see cref="Unmask"/>, each step
/// once and in order. Fresh keys per instance: never reuse a client across sessions.
/// </summary>
public sealed class SecureAggregationClient : IDisposable
{
    private const int ShareEnvelopeBytes = sizeof(int) + 2 * ShamirSecretSharing.ShareBytes;

    private readonly SecureAggregationSettings _settings;
    private readonly ECDiffieHellman _channelKey = SecureAggregationKeys.NewKeyPair();
    private readonly ECDiffieHellman _maskKey = SecureAggregationKeys.NewKeyPair();
    private ClientStep _next = ClientStep.AdvertiseKeys;
    private List<AdvertiseKeys> _participants = [];
    private Dictionary<string, int> _indexBySite = [];
    private byte[] _selfMaskSeed = [];
    private List<string> _sharingSites = [];

    // Shares this site holds of each owner's secrets, decrypted when delivered: owner → (self-mask share, mask-key share).
    private readonly Dictionary<string, (byte[] SelfMask, byte[] MaskKey)> _heldShares = new(StringComparer.Ordinal);

    /// <summary>Creates the site's fresh key pairs for one session.</summary>
    /// <exception cref="ArgumentException">The site name is empty or a setting is out of range.</exception>
    public SecureAggregationClient(string site, SecureAggregationSettings settings)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(site);
        ArgumentNullException.ThrowIfNull(settings);
        Site = site;
        _settings = settings.Validate();
    }

    private enum ClientStep
    {
        AdvertiseKeys,
        ShareKeys,
        MaskInput,
        Unmask,
        Done,
    }

    /// <summary>The site this client speaks for.</summary>
    public string Site { get; }

    /// <summary>Step 0: the site's public keys.</summary>
    public AdvertiseKeys AdvertiseKeys()
    {
        Advance(ClientStep.AdvertiseKeys, "advertise keys");
        return new AdvertiseKeys(Site, _channelKey.ExportSubjectPublicKeyInfo(), _maskKey.ExportSubjectPublicKeyInfo());
    }

    /// <summary>
    /// Step 1: draws the self-mask seed b_u, splits it and the mask private key into t-of-|U1| Shamir shares, and seals
    /// each peer's pair of shares under the channel key agreed with that peer.
    /// </summary>
    /// <exception cref="SecureAggregationException">The directory omits this site, misstates its keys, repeats a site or has fewer than t sites.</exception>
    public ShareKeys ShareKeys(KeyDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        const string step = "share keys";
        Advance(ClientStep.ShareKeys, step);
        _participants = [.. directory.Participants];
        _indexBySite = IndexSites(_participants, step);
        RequireAtLeastThreshold(_participants.Count, step, "sites advertised keys");
        if (!_indexBySite.TryGetValue(Site, out var myIndex)
            || !_participants[myIndex].MaskPublicKey.AsSpan().SequenceEqual(_maskKey.ExportSubjectPublicKeyInfo())
            || !_participants[myIndex].ChannelPublicKey.AsSpan().SequenceEqual(_channelKey.ExportSubjectPublicKeyInfo()))
        {
            throw Error(step, "the key directory does not list this site with the keys it advertised.");
        }

        _selfMaskSeed = RandomNumberGenerator.GetBytes(MaskExpansion.SeedBytes);
        var maskScalar = SecureAggregationKeys.ExportPrivateScalar(_maskKey);
        var selfMaskShares = ShamirSecretSharing.Split(_selfMaskSeed, _settings.Threshold, _participants.Count);
        var maskKeyShares = ShamirSecretSharing.Split(maskScalar, _settings.Threshold, _participants.Count);
        CryptographicOperations.ZeroMemory(maskScalar);

        var envelopes = new List<EncryptedShares>(_participants.Count - 1);
        for (var v = 0; v < _participants.Count; v++)
        {
            var peer = _participants[v].Site;
            var plaintext = new byte[ShareEnvelopeBytes];
            BitConverter.TryWriteBytes(plaintext, v + 1);
            selfMaskShares[v].CopyTo(plaintext, sizeof(int));
            maskKeyShares[v].CopyTo(plaintext, sizeof(int) + ShamirSecretSharing.ShareBytes);
            if (v == myIndex)
            {
                _heldShares[Site] = (selfMaskShares[v], maskKeyShares[v]);
                continue;
            }

            using var peerChannel = SecureAggregationKeys.ImportPublicKey(_participants[v].ChannelPublicKey, peer, _settings);
            var ciphertext = SecureAggregationKeys.Seal(_channelKey, peerChannel, Site, peer, plaintext, _settings, out var nonce, out var tag);
            CryptographicOperations.ZeroMemory(plaintext);
            envelopes.Add(new EncryptedShares(Site, peer, nonce, ciphertext, tag));
        }

        return new ShareKeys(Site, envelopes);
    }

    /// <summary>
    /// Step 2: opens the shares delivered to this site, encodes <paramref name="contribution"/> weighted by
    /// <paramref name="weight"/> in fixed point and adds the self mask and the pairwise masks with every site in U2.
    /// </summary>
    /// <param name="delivery">U2 and the envelopes addressed to this site.</param>
    /// <param name="contribution">The values to sum, ideally the update (local − global), clipped to the encoding's range.</param>
    /// <param name="weight">The site's weight (example count), 1..MaxWeight.</param>
    /// <exception cref="SecureAggregationException">The delivery breaks the protocol, an envelope fails authentication, or a value is not finite.</exception>
    public MaskedInput MaskInput(ShareDelivery delivery, IReadOnlyList<NamedTensor> contribution, long weight)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentNullException.ThrowIfNull(contribution);
        const string step = "masked input";
        var encoding = _settings.EncodingOrDefault;
        if (weight < 1 || weight > encoding.MaxWeight)
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, $"Site '{Site}': the weight must lie in 1..{encoding.MaxWeight}.");
        }

        Advance(ClientStep.MaskInput, step);
        if (delivery.To != Site)
        {
            throw Error(step, $"received the share delivery meant for site '{delivery.To}'.");
        }

        _sharingSites = RequireSubset(delivery.SharingSites, _participants.Select(p => p.Site), "U1", step);
        RequireAtLeastThreshold(_sharingSites.Count, step, "sites shared keys");
        OpenDeliveredShares(delivery, step);

        var masked = Encode(contribution, weight, encoding, step);
        MaskExpansion.Apply(_selfMaskSeed, masked, subtract: false);
        var myIndex = _indexBySite[Site];
        foreach (var peer in _sharingSites)
        {
            if (peer == Site)
            {
                continue;
            }

            var peerIndex = _indexBySite[peer];
            using var peerMaskKey = SecureAggregationKeys.ImportPublicKey(_participants[peerIndex].MaskPublicKey, peer, _settings);
            var seed = SecureAggregationKeys.PairwiseMaskSeed(_maskKey, peerMaskKey, Site, peer, _settings);
            // + towards later sites, − towards earlier ones: each pair's masks cancel in the sum.
            MaskExpansion.Apply(seed, masked, subtract: peerIndex < myIndex);
            CryptographicOperations.ZeroMemory(seed);
        }

        return new MaskedInput(Site, masked);
    }

    /// <summary>
    /// Step 3: for each site of U2, reveals this site's share of its self-mask seed if it is in U3 (its input arrived) or
    /// of its mask private key if not; never both for one site, and only once per session.
    /// </summary>
    /// <exception cref="SecureAggregationException">U3 is not a subset of U2, omits this site, or has fewer than t sites (the round is aborted).</exception>
    public UnmaskingShares Unmask(UnmaskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        const string step = "unmasking";
        Advance(ClientStep.Unmask, step);
        var survivors = RequireSubset(request.MaskedInputSites, _sharingSites, "U2", step);
        RequireAtLeastThreshold(survivors.Count, step, "sites sent masked input");
        if (!survivors.Contains(Site))
        {
            throw Error(step, "the coordinator lists this site as dropped although it sent its masked input; refusing to reveal its mask key shares.");
        }

        var survivorSet = new HashSet<string>(survivors, StringComparer.Ordinal);
        var x = _indexBySite[Site] + 1;
        var selfMaskShares = new List<RevealedShare>();
        var maskKeyShares = new List<RevealedShare>();
        foreach (var owner in _sharingSites)
        {
            var (selfMask, maskKey) = _heldShares[owner];
            if (survivorSet.Contains(owner))
            {
                selfMaskShares.Add(new RevealedShare(owner, x, selfMask));
            }
            else
            {
                maskKeyShares.Add(new RevealedShare(owner, x, maskKey));
            }
        }

        return new UnmaskingShares(Site, selfMaskShares, maskKeyShares);
    }

    /// <summary>Releases the key pairs and wipes the self-mask seed.</summary>
    public void Dispose()
    {
        _channelKey.Dispose();
        _maskKey.Dispose();
        CryptographicOperations.ZeroMemory(_selfMaskSeed);
        _next = ClientStep.Done;
    }

    private void OpenDeliveredShares(ShareDelivery delivery, string step)
    {
        var myX = _indexBySite[Site] + 1;
        var expected = new HashSet<string>(_sharingSites, StringComparer.Ordinal);
        expected.Remove(Site);
        foreach (var envelope in delivery.Shares)
        {
            if (envelope.To != Site || !expected.Remove(envelope.From))
            {
                throw Error(step, $"the delivery holds an unexpected or repeated envelope from '{envelope.From}' to '{envelope.To}'.");
            }

            using var peerChannel = SecureAggregationKeys.ImportPublicKey(
                _participants[_indexBySite[envelope.From]].ChannelPublicKey, envelope.From, _settings);
            var plaintext = SecureAggregationKeys.Open(_channelKey, peerChannel, envelope, _settings);
            if (plaintext.Length != ShareEnvelopeBytes || BitConverter.ToInt32(plaintext) != myX)
            {
                throw Error(step, $"the shares from site '{envelope.From}' are malformed or meant for another x-coordinate.");
            }

            _heldShares[envelope.From] = (
                plaintext.AsSpan(sizeof(int), ShamirSecretSharing.ShareBytes).ToArray(),
                plaintext.AsSpan(sizeof(int) + ShamirSecretSharing.ShareBytes, ShamirSecretSharing.ShareBytes).ToArray());
        }

        if (expected.Count > 0)
        {
            throw Error(step, $"the delivery lacks the shares of {string.Join(", ", expected.Order(StringComparer.Ordinal))}.");
        }
    }

    private ulong[] Encode(IReadOnlyList<NamedTensor> contribution, long weight, FixedPointEncoding encoding, string step)
    {
        var length = 0;
        foreach (var tensor in contribution)
        {
            length = checked(length + tensor.Values.Length);
        }

        // Tensor values in order, then the weight as a plain integer so the coordinator learns Σ n_u but no single n_u.
        var encoded = new ulong[length + 1];
        var offset = 0;
        foreach (var tensor in contribution)
        {
            var values = tensor.Values;
            for (var i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                {
                    throw Error(step, $"tensor '{tensor.Name}' has {values[i]} at index {i}.");
                }

                encoded[offset + i] = encoding.Encode(values[i], weight);
            }

            offset += values.Length;
        }

        encoded[length] = (ulong)weight;
        return encoded;
    }

    private void Advance(ClientStep step, string name)
    {
        if (_next != step)
        {
            throw Error(name, _next == ClientStep.Done
                ? "the session is over for this client (each step runs once; a second unmask request could expose both shares of a site)."
                : $"called out of order; the next step is {_next}.");
        }

        _next = step + 1;
    }

    private Dictionary<string, int> IndexSites(IReadOnlyList<AdvertiseKeys> participants, string step)
    {
        var index = new Dictionary<string, int>(participants.Count, StringComparer.Ordinal);
        for (var i = 0; i < participants.Count; i++)
        {
            if (!index.TryAdd(participants[i].Site, i))
            {
                throw Error(step, $"site '{participants[i].Site}' appears twice in the key directory.");
            }
        }

        return index;
    }

    private List<string> RequireSubset(IReadOnlyList<string> sites, IEnumerable<string> of, string ofName, string step)
    {
        var allowed = new HashSet<string>(of, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var site in sites)
        {
            if (!allowed.Contains(site) || !seen.Add(site))
            {
                throw Error(step, $"site '{site}' is not in {ofName} or is listed twice.");
            }
        }

        return [.. sites];
    }

    private void RequireAtLeastThreshold(int count, string step, string what)
    {
        if (count < _settings.Threshold)
        {
            throw Error(step, $"only {count} {what}, fewer than the threshold t = {_settings.Threshold}; the round is aborted.");
        }
    }

    private SecureAggregationException Error(string step, string reason) =>
        new($"{_settings.Describe(step)}, site '{Site}': {reason}");
}
