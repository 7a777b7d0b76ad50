using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PathoFed.Federation.Privacy;

/// <summary>
/// Standard normal draws (Box–Muller over 53-bit uniforms) from the OS CSPRNG, or from a seeded
/// <see cref="Random"/> for reproducible tests. Only the cryptographic source gives differential privacy: a seeded
/// stream is predictable, and so is its noise.
/// </summary>
/// <remarks>
/// Like most DP libraries this samples floating-point Gaussians, which Mironov (2012, "On significance of the least
/// significant bits for differential privacy") shows can leak through the low bits in theory; a discrete Gaussian
/// sampler would close that gap.
/// </remarks>
public sealed class GaussianNoise
{
    private const int PairsPerChunk = 512;
    private readonly FillBytes _fill;

    private GaussianNoise(FillBytes fill, bool isReproducible)
    {
        _fill = fill;
        IsReproducible = isReproducible;
    }

    private delegate void FillBytes(Span<byte> destination);

    /// <summary>Whether the stream is reproducible (seeded), and so unfit for real privacy.</summary>
    public bool IsReproducible { get; }

    /// <summary>Noise from the operating system's CSPRNG (<see cref="RandomNumberGenerator"/>).</summary>
    public static GaussianNoise Cryptographic() => new(RandomNumberGenerator.Fill, isReproducible: false);

    /// <summary>Reproducible noise for tests and simulations; never for a real release.</summary>
    public static GaussianNoise Seeded(int seed) => new(new Random(seed).NextBytes, isReproducible: true);

    /// <summary>Adds independent N(0, <paramref name="standardDeviation"/>²) noise to every value.</summary>
    public void AddTo(Span<float> values, double standardDeviation)
    {
        if (!(standardDeviation >= 0) || double.IsInfinity(standardDeviation))
        {
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, "The standard deviation must be a non-negative finite number.");
        }

        if (standardDeviation == 0)
        {
            return;
        }

        var bytes = new byte[PairsPerChunk * 2 * sizeof(ulong)];
        for (var offset = 0; offset < values.Length; offset += 2 * PairsPerChunk)
        {
            _fill(bytes);
            var count = Math.Min(2 * PairsPerChunk, values.Length - offset);
            for (var k = 0; k < count; k += 2)
            {
                // u1 in (0, 1] so the log is finite; u2 in [0, 1).
                var u1 = ((BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(k * 8)) >> 11) + 1) * Math.ScaleB(1.0, -53);
                var u2 = (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((k + 1) * 8)) >> 11) * Math.ScaleB(1.0, -53);
                var radius = standardDeviation * Math.Sqrt(-2 * Math.Log(u1));
                var (sin, cos) = Math.SinCos(2 * Math.PI * u2);
                values[offset + k] += (float)(radius * cos);
                if (k + 1 < count)
                {
                    values[offset + k + 1] += (float)(radius * sin);
                }
            }
        }
    }
}
