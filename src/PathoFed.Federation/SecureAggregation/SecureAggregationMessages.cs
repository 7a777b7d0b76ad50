using PathoFed.Mil.Data;

namespace PathoFed.Federation.SecureAggregation;

// The protocol's messages, in the order they flow (Bonawitz et al. 2017, Figure 4, semi-honest variant). Each is a plain
// record of strings, ints and byte arrays so a coordinator can carry it over any transport; the transport routes by session.

/// <summary>Step 0, site → coordinator: the site's two fresh public keys (P-256, SubjectPublicKeyInfo DER).</summary>
/// <param name="Site">The sending site.</param>
/// <param name="ChannelPublicKey">Key c_u: agreed with each peer's to encrypt the Shamir shares sent through the coordinator.</param>
/// <param name="MaskPublicKey">Key s_u: agreed with each peer's to seed the pairwise masks.</param>
public sealed record AdvertiseKeys(string Site, byte[] ChannelPublicKey, byte[] MaskPublicKey);

/// <summary>
/// Step 0, coordinator → sites: the sites that advertised keys (U1). A site's position plus one is its Shamir
/// x-coordinate and orders the pairwise masks (+ towards later sites, − towards earlier ones).
/// </summary>
public sealed record KeyDirectory(IReadOnlyList<AdvertiseKeys> Participants);

/// <summary>One site's Shamir shares for one peer, AES-256-GCM encrypted under their channel key; the coordinator only relays it.</summary>
/// <param name="From">The owner of the secrets shared.</param>
/// <param name="To">The peer that holds the shares.</param>
/// <param name="Nonce">AES-GCM nonce (12 bytes).</param>
/// <param name="Ciphertext">Encrypted x-coordinate, self-mask share and mask-key share.</param>
/// <param name="Tag">AES-GCM tag (16 bytes); the session, round, From and To are authenticated with it.</param>
public sealed record EncryptedShares(string From, string To, byte[] Nonce, byte[] Ciphertext, byte[] Tag);

/// <summary>Step 1, site → coordinator: shares of the site's self-mask seed and mask private key, one envelope per peer.</summary>
public sealed record ShareKeys(string Site, IReadOnlyList<EncryptedShares> Shares);

/// <summary>Step 1, coordinator → one site: the sites that shared keys (U2) and the envelopes addressed to this site.</summary>
public sealed record ShareDelivery(string To, IReadOnlyList<string> SharingSites, IReadOnlyList<EncryptedShares> Shares);

/// <summary>Step 2, site → coordinator: the masked, fixed-point contribution (tensor values in order, then the weight).</summary>
public sealed record MaskedInput(string Site, ulong[] Values);

/// <summary>Step 2, coordinator → sites: the sites whose masked input arrived (U3); the others count as dropped.</summary>
public sealed record UnmaskRequest(IReadOnlyList<string> MaskedInputSites);

/// <summary>One Shamir share revealed for unmasking: the share of <paramref name="Owner"/>'s secret at x = <paramref name="X"/>.</summary>
public sealed record RevealedShare(string Owner, int X, byte[] Y);

/// <summary>
/// Step 3, site → coordinator: self-mask shares for every site in U3 and mask-key shares for every site in U2 \ U3;
/// never both kinds for one site, since the two together would unmask that site's individual input.
/// </summary>
public sealed record UnmaskingShares(string Site, IReadOnlyList<RevealedShare> SelfMaskShares, IReadOnlyList<RevealedShare> MaskKeyShares);

/// <summary>
/// What the coordinator learns: the weighted sum of the surviving sites' contributions and their total weight. Both
/// float tensors are rounded once from the exact ring sum, so they carry the encoding's error plus one float32 rounding.
/// </summary>
/// <param name="WeightedSum">Σ n_u·x_u over <paramref name="Contributors"/>, in the layout of the session.</param>
/// <param name="WeightedMean">Σ n_u·x_u / Σ n_u.</param>
/// <param name="TotalWeight">Σ n_u.</param>
/// <param name="Contributors">U3: the sites whose input is in the sum.</param>
/// <param name="Dropped">U2 \ U3: sites that shared keys but sent no masked input; their pairwise masks were removed.</param>
public sealed record SecureAggregationResult(
    IReadOnlyList<NamedTensor> WeightedSum,
    IReadOnlyList<NamedTensor> WeightedMean,
    long TotalWeight,
    IReadOnlyList<string> Contributors,
    IReadOnlyList<string> Dropped)
{
    /// <summary>
    /// The weighted mean of the sites' local models when they masked updates (local − global): global + mean update.
    /// Feed it to <see cref="Strategies.IAggregationStrategy.AggregateWeightedMean"/>.
    /// </summary>
    public IReadOnlyList<NamedTensor> WeightedMeanOfLocals(IReadOnlyList<NamedTensor> global)
    {
        ArgumentNullException.ThrowIfNull(global);
        var locals = new NamedTensor[WeightedMean.Count];
        for (var t = 0; t < WeightedMean.Count; t++)
        {
            var values = new float[WeightedMean[t].Values.Length];
            System.Numerics.Tensors.TensorPrimitives.Add(WeightedMean[t].Values, global[t].Values, values);
            locals[t] = WeightedMean[t] with { Values = values };
        }

        return locals;
    }
}
