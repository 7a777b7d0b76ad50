using PathoFed.Federation.Strategies;

namespace PathoFed.Federation.Tests.Strategies;

public sealed class AggregationStrategyFactoryTests
{
    [Theory]
    [InlineData("fedavg", typeof(FedAvgStrategy))]
    [InlineData("FedProx", typeof(FedProxStrategy))]
    [InlineData("fedadam", typeof(FedAdamStrategy))]
    [InlineData("fedyogi", typeof(FedYogiStrategy))]
    public void Create_KnownName_ReturnsStrategy(string name, Type expected)
    {
        var strategy = AggregationStrategyFactory.Create(name);
        Assert.IsType(expected, strategy);
        Assert.Equal(name.ToLowerInvariant(), strategy.Name);
    }

    [Fact]
    public void Create_JsonOptions_AreApplied()
    {
        var prox = AggregationStrategyFactory.Create("fedprox", """{"local_epochs": 3, "learning_rate": 0.1, "proximal_mu": 0.25}""");
        Assert.Equal(new FitConfig(2, 3, 0.1, 0.25), prox.ConfigureFit(2));

        var yogi = (FedYogiStrategy)AggregationStrategyFactory.Create("fedyogi", """{"server_learning_rate": 0.05, "beta1": 0.8, "tau": 0.001}""");
        Assert.Equal(0.05, yogi.Options.ServerLearningRate);
        Assert.Equal(0.8, yogi.Options.Beta1);
    }

    [Fact]
    public void Create_UnknownName_ThrowsListingNames()
    {
        var error = Assert.Throws<FederationException>(() => AggregationStrategyFactory.Create("fedsgd"));
        Assert.Contains("'fedsgd'", error.Message);
        Assert.Contains("fedyogi", error.Message);
    }

    [Theory]
    [InlineData("""{"proximal_mu": -1}""", "ProximalMu")]
    [InlineData("""{"proximal_mew": 1}""", "proximal_mew")]
    public void Create_BadOptions_Throws(string json, string fragment)
    {
        var error = Assert.Throws<FederationException>(() => AggregationStrategyFactory.Create("fedprox", json));
        Assert.Contains(fragment, error.Message);
    }
}
