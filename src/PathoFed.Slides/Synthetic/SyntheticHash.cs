using System.Runtime.CompilerServices;

namespace PathoFed.Slides.Synthetic;

/// <summary>
/// Integer hashing and lattice value noise. Every random choice in a synthetic slide comes from a hash of the seed
/// and a position, never from a stateful generator shared across tiles, so tiles render in any order on any thread
/// and every pyramid level shows the same scene.
/// </summary>
internal static class SyntheticHash
{
    private const double InverseTwoPow53 = 1.0 / (1UL << 53);

    /// <summary>SplitMix64's finaliser: a bijective, well-avalanched 64-bit mix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ulong seed, long a, long b) =>
        Mix(seed ^ Mix(unchecked((ulong)a * 0x9E3779B97F4A7C15UL + (ulong)b * 0xC2B2AE3D27D4EB4FUL)));

    /// <summary>A cheap 32-bit mix for per-pixel noise (lowbias32), where the 64-bit one would dominate the cost.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Mix32(uint x)
    {
        x ^= x >> 16;
        x *= 0x7FEB352DU;
        x ^= x >> 15;
        x *= 0x846CA68BU;
        x ^= x >> 16;
        return x;
    }

    /// <summary>A uniform double in [0, 1) from the top 53 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Unit(ulong h) => (h >> 11) * InverseTwoPow53;
}

/// <summary>
/// Smooth value noise in [-1, 1] over level-0 coordinates, with features about one wavelength across: smoothstep
/// interpolation of hashed lattice values. Lattice points take a single 32-bit mix, since the render evaluates
/// several fields at thousands of nodes per tile.
/// </summary>
internal readonly struct NoiseField(ulong seed, ulong channel, double wavelengthPx)
{
    private readonly uint _seed = (uint)SyntheticHash.Mix(seed ^ SyntheticHash.Mix(channel));
    private readonly double _inverseWavelength = 1 / wavelengthPx;

    public double Sample(double x, double y)
    {
        double fx = x * _inverseWavelength;
        double fy = y * _inverseWavelength;
        double ix = Math.Floor(fx);
        double iy = Math.Floor(fy);
        double tx = fx - ix;
        double ty = fy - iy;
        tx = tx * tx * (3 - 2 * tx);
        ty = ty * ty * (3 - 2 * ty);
        uint i = unchecked((uint)(long)ix), j = unchecked((uint)(long)iy);
        double v00 = Lattice(i, j), v10 = Lattice(i + 1, j), v01 = Lattice(i, j + 1), v11 = Lattice(i + 1, j + 1);
        double top = v00 + (v10 - v00) * tx;
        double bottom = v01 + (v11 - v01) * tx;
        return top + (bottom - top) * ty;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double Lattice(uint i, uint j) =>
        SyntheticHash.Mix32(unchecked((i * 0x9E3779B1U) ^ (j * 0x85EBCA77U + _seed))) * (2.0 / uint.MaxValue) - 1;
}

/// <summary>A SplitMix64 sequence: deterministic across runtimes, unlike <see cref="Random"/>'s unspecified algorithm.</summary>
internal struct SplitMix64(ulong state)
{
    private ulong _state = state;

    public ulong NextUInt64() => SyntheticHash.Mix(_state += 0x9E3779B97F4A7C15UL);

    public double NextDouble() => SyntheticHash.Unit(NextUInt64());

    public double Range(double min, double max) => min + (max - min) * NextDouble();

    public int NextInt(int exclusiveMax) => (int)(NextDouble() * exclusiveMax);
}
