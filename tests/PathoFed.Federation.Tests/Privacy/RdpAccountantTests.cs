using PathoFed.Federation.Privacy;

namespace PathoFed.Federation.Tests.Privacy;

public sealed class RdpAccountantTests
{
    [Theory]
    [InlineData(10.0, 20, 1, 0.1)]
    [InlineData(1.5, 8, 30, 30 * 8 / (2 * 1.5 * 1.5))]
    public void Step_FullParticipation_EqualsClosedForm(double sigma, int order, int rounds, double expected)
    {
        // q = 1: the plain Gaussian mechanism, RDP(α) = Tα/(2σ²) (Mironov 2017).
        var accountant = new RdpAccountant([order]);
        accountant.Step(sigma, sampleRate: 1, steps: rounds);
        Assert.Equal(expected, accountant.Rdp[0], 12);
    }

    [Fact]
    public void GetPrivacySpent_FullParticipationStandard_EqualsMinimumOverOrdersOfClosedForm()
    {
        const double sigma = 4, delta = 1e-5;
        const int rounds = 50;
        var accountant = new RdpAccountant();
        accountant.Step(sigma, 1, rounds);
        var spent = accountant.GetPrivacySpent(delta, RdpConversion.Standard);

        var best = double.PositiveInfinity;
        var bestOrder = 0;
        foreach (var order in RdpAccountant.DefaultOrders)
        {
            var epsilon = rounds * order / (2 * sigma * sigma) + Math.Log(1 / delta) / (order - 1);
            if (epsilon < best)
            {
                (best, bestOrder) = (epsilon, order);
            }
        }

        Assert.Equal(best, spent.Epsilon, 10);
        Assert.Equal(bestOrder, spent.Order);
        Assert.True(accountant.GetPrivacySpent(delta).Epsilon < spent.Epsilon, "the improved conversion is tighter");
    }

    // Published values: TF-Privacy rdp_accountant_test.py (test_compute_rdp_scalar, test_compute_rdp_sequence).
    [Theory]
    [InlineData(0.1, 2.0, 10, 5, 0.07737, 5e-6)]
    [InlineData(0.01, 2.5, 50, 5, 0.00218075, 1e-5)]
    [InlineData(0.01, 2.5, 50, 50, 0.023846, 1e-5)]
    [InlineData(0.01, 2.5, 50, 100, 167.416307, 1e-5)]
    public void Step_Subsampled_MatchesTensorFlowPrivacy(double q, double sigma, int steps, int order, double expected, double tolerance)
    {
        var accountant = new RdpAccountant([order]);
        accountant.Step(sigma, q, steps);
        Assert.InRange(accountant.Rdp[0], expected - tolerance, expected + tolerance);
    }

    [Theory]
    [InlineData(0.2, 1.5, 4)]
    [InlineData(0.05, 0.8, 6)]
    public void ComputeRdp_Subsampled_MatchesNumericalIntegration(double q, double sigma, int order)
    {
        // A_α = ∫ μ0(z)·((1−q) + q·μ1(z)/μ0(z))^α dz with μ0 = N(0, σ²), μ1 = N(1, σ²) (Mironov, Talwar, Zhang 2019),
        // by Simpson's rule on [−40σ, 40σ + 1]; RDP(α) = log A_α / (α − 1).
        const int intervals = 200_000;
        var low = -40 * sigma;
        var high = 40 * sigma + 1;
        var h = (high - low) / intervals;
        double Integrand(double z)
        {
            var mu0 = Math.Exp(-z * z / (2 * sigma * sigma)) / (sigma * Math.Sqrt(2 * Math.PI));
            var ratio = Math.Exp((2 * z - 1) / (2 * sigma * sigma));
            return mu0 * Math.Pow(1 - q + q * ratio, order);
        }

        var sum = Integrand(low) + Integrand(high);
        for (var k = 1; k < intervals; k++)
        {
            sum += (k % 2 == 1 ? 4 : 2) * Integrand(low + k * h);
        }

        var numerical = Math.Log(sum * h / 3) / (order - 1);
        var computed = RdpAccountant.ComputeRdp(q, sigma, order);
        Assert.Equal(numerical, computed, 1e-9 * Math.Max(1, numerical));
    }

    [Fact]
    public void ConvertToEpsilon_ConstantRdp_MatchesTensorFlowPrivacy()
    {
        // TF-Privacy test_get_privacy_spent_check_target_delta: constant RDP 1.1 on orders 2..32, δ = 1e-5.
        var orders = Enumerable.Range(2, 31).ToArray();
        var rdp = orders.Select(_ => 1.1).ToArray();
        var spent = RdpAccountant.ConvertToEpsilon(orders, rdp, 1e-5, RdpConversion.Improved);
        Assert.Equal(32, spent.Order);
        Assert.Equal(1.32783806176, spent.Epsilon, 10);
    }

    [Fact]
    public void Step_Heterogeneous_Composes()
    {
        var accountant = new RdpAccountant([2, 8]);
        accountant.Step(1.0, 0.1, 3);
        accountant.Step(2.0, 1.0, 2);
        Assert.Equal(3 * RdpAccountant.ComputeRdp(0.1, 1.0, 8) + 2 * 8 / (2 * 4.0), accountant.Rdp[1], 12);
    }

    [Fact]
    public void ComputeRdp_EdgeCases()
    {
        Assert.Equal(0, RdpAccountant.ComputeRdp(0, 1, 10));
        Assert.Equal(double.PositiveInfinity, RdpAccountant.ComputeRdp(0.5, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => RdpAccountant.ComputeRdp(1.5, 1, 10));
    }
}
