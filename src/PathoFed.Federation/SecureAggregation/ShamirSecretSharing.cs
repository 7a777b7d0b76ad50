using System.Numerics;
using System.Security.Cryptography;

namespace PathoFed.Federation.SecureAggregation;

/// <summary>
/// Shamir t-of-n secret sharing over GF(p), p = 2^521 − 1 (a Mersenne prime, so every 32-byte secret — a P-256
/// private scalar or a mask seed — is a field element as is). Any t shares rebuild the secret; t − 1 reveal nothing.
/// </summary>
internal static class ShamirSecretSharing
{
    /// <summary>Bytes of a share's y value: 521 bits round up to 66 bytes.</summary>
    public const int ShareBytes = 66;

    private static readonly BigInteger Prime = BigInteger.Pow(2, 521) - 1;

    /// <summary>Shares of <paramref name="secret"/> (big-endian) at x = 1..<paramref name="shareCount"/>: entry i is the share at x = i + 1.</summary>
    public static byte[][] Split(ReadOnlySpan<byte> secret, int threshold, int shareCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shareCount, threshold);
        // Degree t − 1 polynomial with the secret as constant term and uniformly random other coefficients.
        var coefficients = new BigInteger[threshold];
        coefficients[0] = new BigInteger(secret, isUnsigned: true, isBigEndian: true);
        for (var k = 1; k < threshold; k++)
        {
            coefficients[k] = RandomFieldElement();
        }

        var shares = new byte[shareCount][];
        for (var x = 1; x <= shareCount; x++)
        {
            // Horner's rule.
            var y = BigInteger.Zero;
            for (var k = threshold - 1; k >= 0; k--)
            {
                y = (y * x + coefficients[k]) % Prime;
            }

            shares[x - 1] = ToShareBytes(y);
        }

        return shares;
    }

    /// <summary>The secret (big-endian, <paramref name="secretBytes"/> long) rebuilt from the first <paramref name="threshold"/> shares.</summary>
    /// <exception cref="ArgumentException">Fewer than t shares, or repeated x-coordinates.</exception>
    public static byte[] Combine(IReadOnlyList<(int X, byte[] Y)> shares, int threshold, int secretBytes)
    {
        if (shares.Count < threshold)
        {
            throw new ArgumentException($"{shares.Count} shares cannot rebuild a {threshold}-of-n secret.", nameof(shares));
        }

        // Lagrange interpolation at x = 0: secret = Σ_j y_j · Π_{m≠j} x_m / (x_m − x_j).
        var secret = BigInteger.Zero;
        for (var j = 0; j < threshold; j++)
        {
            var numerator = BigInteger.One;
            var denominator = BigInteger.One;
            for (var m = 0; m < threshold; m++)
            {
                if (m == j)
                {
                    continue;
                }

                if (shares[m].X == shares[j].X)
                {
                    throw new ArgumentException($"Two shares have x = {shares[j].X}.", nameof(shares));
                }

                numerator = numerator * shares[m].X % Prime;
                denominator = denominator * Mod(shares[m].X - shares[j].X) % Prime;
            }

            var y = new BigInteger(shares[j].Y, isUnsigned: true, isBigEndian: false);
            var inverse = BigInteger.ModPow(denominator, Prime - 2, Prime);
            secret = (secret + y * numerator % Prime * inverse) % Prime;
        }

        var bytes = secret.ToByteArray(isUnsigned: true, isBigEndian: true);
        if (bytes.Length > secretBytes)
        {
            // Corrupt shares interpolate to a random field element, almost surely too long for the secret.
            throw new ArgumentException($"The shares rebuild a {bytes.Length}-byte value, not a {secretBytes}-byte secret: a share is corrupt.", nameof(shares));
        }

        var padded = new byte[secretBytes];
        bytes.CopyTo(padded, secretBytes - bytes.Length);
        return padded;
    }

    private static BigInteger Mod(BigInteger value) => (value % Prime + Prime) % Prime;

    private static BigInteger RandomFieldElement()
    {
        Span<byte> buffer = stackalloc byte[ShareBytes];
        while (true)
        {
            // 521 random bits (the top byte keeps one bit), rejected when ≥ p so the result is uniform.
            RandomNumberGenerator.Fill(buffer);
            buffer[ShareBytes - 1] &= 0x01;
            var candidate = new BigInteger(buffer, isUnsigned: true, isBigEndian: false);
            if (candidate < Prime)
            {
                return candidate;
            }
        }
    }

    private static byte[] ToShareBytes(BigInteger value)
    {
        var bytes = new byte[ShareBytes];
        value.TryWriteBytes(bytes, out _, isUnsigned: true, isBigEndian: false);
        return bytes;
    }
}
