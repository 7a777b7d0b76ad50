using System.Security.Cryptography;
using System.Text;

namespace PathoFed.Federation.SecureAggregation;

/// <summary>
/// The key material of the protocol: P-256 ECDH agreement, HKDF-SHA256 derivation bound to the session, round, purpose
/// and the (unordered) pair of sites, and AES-256-GCM envelopes for the Shamir shares.
/// </summary>
internal static class SecureAggregationKeys
{
    public const int ScalarBytes = 32;
    private const int GcmNonceBytes = 12;
    private const int GcmTagBytes = 16;
    private const string Nistp256Oid = "1.2.840.10045.3.1.7";
    private const string PairwiseMaskPurpose = "pairwise-mask";
    private const string ShareChannelPurpose = "share-channel";

    public static ECDiffieHellman NewKeyPair() => ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>The P-256 public key in <paramref name="spki"/>, or a protocol error naming the site.</summary>
    public static ECDiffieHellman ImportPublicKey(byte[] spki, string site, SecureAggregationSettings settings)
    {
        var key = ECDiffieHellman.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(spki, out var read);
            if (read != spki.Length || key.ExportParameters(false).Curve.Oid.Value != Nistp256Oid)
            {
                throw new CryptographicException("not a bare P-256 SubjectPublicKeyInfo");
            }

            return key;
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new SecureAggregationException($"{settings.Describe("advertise keys")}: site '{site}' advertised an invalid public key ({e.Message}).", e);
        }
    }

    /// <summary>The mask key rebuilt from its private scalar and advertised public key; a mismatch means a corrupt share.</summary>
    public static ECDiffieHellman ImportPrivateKey(byte[] scalar, byte[] publicSpki, string site, SecureAggregationSettings settings)
    {
        using var publicKey = ImportPublicKey(publicSpki, site, settings);
        var parameters = publicKey.ExportParameters(false);
        parameters.D = scalar;
        var key = ECDiffieHellman.Create();
        try
        {
            key.ImportParameters(parameters);
            return key;
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new SecureAggregationException(
                $"{settings.Describe("unmasking")}: the mask key rebuilt for dropped site '{site}' does not match its advertised public key; a share is corrupt.", e);
        }
    }

    public static byte[] ExportPrivateScalar(ECDiffieHellman key) => key.ExportParameters(true).D!;

    /// <summary>Seed of the pairwise mask between sites <paramref name="a"/> and <paramref name="b"/> (order does not matter).</summary>
    public static byte[] PairwiseMaskSeed(ECDiffieHellman mine, ECDiffieHellman peerPublic, string a, string b, SecureAggregationSettings settings) =>
        Derive(mine, peerPublic, PairwiseMaskPurpose, a, b, settings);

    public static byte[] Seal(ECDiffieHellman mine, ECDiffieHellman peerPublic, string from, string to, byte[] plaintext, SecureAggregationSettings settings, out byte[] nonce, out byte[] tag)
    {
        var key = Derive(mine, peerPublic, ShareChannelPurpose, from, to, settings);
        try
        {
            using var gcm = new AesGcm(key, GcmTagBytes);
            nonce = RandomNumberGenerator.GetBytes(GcmNonceBytes);
            tag = new byte[GcmTagBytes];
            var ciphertext = new byte[plaintext.Length];
            gcm.Encrypt(nonce, plaintext, ciphertext, tag, AssociatedData(from, to, settings));
            return ciphertext;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public static byte[] Open(ECDiffieHellman mine, ECDiffieHellman peerPublic, EncryptedShares envelope, SecureAggregationSettings settings)
    {
        var key = Derive(mine, peerPublic, ShareChannelPurpose, envelope.From, envelope.To, settings);
        try
        {
            using var gcm = new AesGcm(key, GcmTagBytes);
            var plaintext = new byte[envelope.Ciphertext.Length];
            gcm.Decrypt(envelope.Nonce, envelope.Ciphertext, envelope.Tag, plaintext, AssociatedData(envelope.From, envelope.To, settings));
            return plaintext;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new SecureAggregationException(
                $"{settings.Describe("share keys")}: the shares from site '{envelope.From}' to site '{envelope.To}' fail authentication (tampered or misrouted).", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static byte[] Derive(ECDiffieHellman mine, ECDiffieHellman peerPublic, string purpose, string a, string b, SecureAggregationSettings settings)
    {
        var shared = mine.DeriveRawSecretAgreement(peerPublic.PublicKey);
        try
        {
            // Sorted so both ends derive the same key; session and round in the info so no key serves two sessions.
            var (first, second) = string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);
            var info = Encoding.UTF8.GetBytes($"pathofed/secagg/v1/{purpose}/round {settings.Round}/{first.Length}:{first}/{second.Length}:{second}");
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, MaskExpansion.SeedBytes, Encoding.UTF8.GetBytes(settings.SessionId), info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    private static byte[] AssociatedData(string from, string to, SecureAggregationSettings settings) =>
        Encoding.UTF8.GetBytes($"pathofed/secagg/v1/shares/{settings.SessionId}/round {settings.Round}/{from.Length}:{from}->{to.Length}:{to}");
}
