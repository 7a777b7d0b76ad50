using PathoFed.Federation.Privacy;
using PathoFed.Federation.Updates;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Tests.Privacy;

public sealed class GaussianMechanismTests
{
    private static double Norm(IReadOnlyList<NamedTensor> tensors) =>
        Math.Sqrt(tensors.Sum(t => t.Values.Sum(v => (double)v * v)));

    [Fact]
    public void Privatize_LargeUpdate_IsClippedToC()
    {
        var global = TestParameters.Random(seed: 3);
        var local = TestParameters.Shifted(global, 2f); // norm 2·√18 ≈ 8.5
        var mechanism = new GaussianMechanism { ClipNorm = 1.5, NoiseMultiplier = 0 };
        var privatized = mechanism.Privatize("site-a", 1, global, local, GaussianNoise.Seeded(1));
        Assert.True(privatized.WasClipped);
        Assert.Equal(2 * Math.Sqrt(18), privatized.NormBeforeClipping, 4);
        Assert.Equal(1.5, Norm(privatized.Delta), 4);
        // Direction kept: every coordinate of the shift was +2.
        Assert.All(privatized.Delta.SelectMany(t => t.Values), v => Assert.Equal(1.5 / Math.Sqrt(18), v, 4));
    }

    [Fact]
    public void Privatize_SmallUpdate_IsKept()
    {
        var global = TestParameters.Random(seed: 3);
        var local = TestParameters.Shifted(global, 0.01f);
        var privatized = new GaussianMechanism { ClipNorm = 1, NoiseMultiplier = 0 }.Privatize("site-a", 1, global, local, GaussianNoise.Seeded(1));
        Assert.False(privatized.WasClipped);
        var back = privatized.ApplyTo(global);
        Assert.Equal(local[0].Values, back[0].Values, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Privatize_NoiseStd_IsSigmaTimesC(bool cryptographic)
    {
        const double sigma = 1.5, clip = 2.0;
        const int count = 200_000;
        NamedTensor[] global = [new("w", [count], new float[count])];
        var noise = cryptographic ? GaussianNoise.Cryptographic() : GaussianNoise.Seeded(42);
        var values = new GaussianMechanism { ClipNorm = clip, NoiseMultiplier = sigma }
            .Privatize("site-a", 1, global, global, noise).Delta[0].Values;

        var mean = values.Average(v => (double)v);
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (count - 1));
        // Standard error of the std estimate is σC/√(2n) ≈ 0.0047; allow about 4 of them.
        Assert.InRange(std, sigma * clip - 0.02, sigma * clip + 0.02);
        Assert.InRange(mean, -0.03, 0.03);
        Assert.Equal(!cryptographic, noise.IsReproducible);
    }

    [Fact]
    public void Privatize_Seeded_IsReproducible()
    {
        var global = TestParameters.Random(seed: 3);
        var mechanism = new GaussianMechanism { ClipNorm = 1, NoiseMultiplier = 1 };
        var first = mechanism.Privatize("s", 1, global, global, GaussianNoise.Seeded(9)).Delta[0].Values;
        var second = mechanism.Privatize("s", 1, global, global, GaussianNoise.Seeded(9)).Delta[0].Values;
        Assert.Equal(first, second);
    }

    [Fact]
    public void Privatize_NonFiniteLocal_ThrowsNamingSiteAndTensor()
    {
        var global = TestParameters.Random(seed: 3);
        var local = TestParameters.Shifted(global, 0);
        local[0].Values[2] = float.NaN;
        var error = Assert.Throws<InvalidSiteUpdateException>(
            () => new GaussianMechanism().Privatize("site-q", 7, global, local, GaussianNoise.Seeded(1)));
        Assert.Contains("site 'site-q' for round 7", error.Message);
        Assert.Contains("'head.weight'", error.Message);
    }
}
