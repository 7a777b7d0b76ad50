using PathoFed.Federation.Strategies;
using PathoFed.Federation.Updates;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Tests.Strategies;

public sealed class FedAvgStrategyTests
{
    private static readonly NamedTensor[] Global = TestParameters.Model([0, 0, 0, 0], [0]);
    private static readonly Dictionary<string, double> NoMetrics = [];

    private static FitResult Result(string site, long examples, float[] weight, float[] bias) =>
        new(site, TestParameters.Model(weight, bias), examples, NoMetrics);

    [Fact]
    public void AggregateFit_ThreeSites_EqualsHandWeightedMean()
    {
        FitResult[] results =
        [
            Result("a", 10, [1, 2, 3, 4], [1]),
            Result("b", 30, [5, 6, 7, 8], [-1]),
            Result("c", 60, [0, 0, 0, 1], [2]),
        ];

        var next = new FedAvgStrategy(new FedAvgOptions()).AggregateFit(1, Global, results, [])!;

        // (10·x_a + 30·x_b + 60·x_c) / 100
        float[] expectedWeight = [1.6f, 2.0f, 2.4f, 3.4f];
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(expectedWeight[i], next[0].Values[i], 5);
        }

        Assert.Equal(1.0f, next[1].Values[0], 5);
        Assert.Equal("head.weight", next[0].Name);
        Assert.Equal([2, 2], next[0].Shape);
    }

    [Fact]
    public void AggregateFit_OneSite_ReturnsItsParametersExactly()
    {
        var local = TestParameters.Model([0.1f, -2.7f, 3.3f, 1e-7f], [0.3f]);
        var next = new FedAvgStrategy(new FedAvgOptions()).AggregateFit(1, Global, [new FitResult("a", local, 17, NoMetrics)], [])!;
        for (var t = 0; t < local.Length; t++)
        {
            Assert.Equal(local[t].Values, next[t].Values);
        }
    }

    [Fact]
    public void AggregateFit_NoResults_KeepsModel()
    {
        var strategy = new FedAvgStrategy(new FedAvgOptions());
        Assert.Null(strategy.AggregateFit(1, Global, [], [new FitFailure("a", "timed out")]));
    }

    [Fact]
    public void AggregateFit_MismatchedResult_ThrowsNamingSite()
    {
        var bad = new FitResult("site-x", [Global[0]], 5, NoMetrics);
        var error = Assert.Throws<InvalidSiteUpdateException>(() => new FedAvgStrategy(new FedAvgOptions()).AggregateFit(2, Global, [bad], []));
        Assert.Contains("site 'site-x' for round 2", error.Message);
    }

    [Fact]
    public void ConfigureFit_FedProx_SendsMu()
    {
        var config = new FedProxStrategy(new FedProxOptions { ProximalMu = 0.5, LocalEpochs = 3 }).ConfigureFit(6);
        Assert.Equal(new FitConfig(6, 3, 0.01, 0.5), config);
        Assert.Equal(0, new FedAvgStrategy(new FedAvgOptions()).ConfigureFit(6).ProximalMu);
    }

    [Fact]
    public void AggregateFit_FedProx_AggregatesLikeFedAvg()
    {
        FitResult[] results = [Result("a", 1, [1, 1, 1, 1], [1]), Result("b", 3, [5, 5, 5, 5], [5])];
        var prox = new FedProxStrategy(new FedProxOptions()).AggregateFit(1, Global, results, [])!;
        var avg = new FedAvgStrategy(new FedAvgOptions()).AggregateFit(1, Global, results, [])!;
        Assert.Equal(avg[0].Values, prox[0].Values);
        Assert.Equal(4f, prox[1].Values[0]);
    }
}
