using PathoFed.Federation.Strategies;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Tests.Strategies;

public sealed class AdaptiveStrategyTests
{
    private const double Eta = 0.1, Beta1 = 0.9, Beta2 = 0.99, Tau = 0.01;
    private static readonly AdaptiveOptions Options = new() { ServerLearningRate = Eta, Beta1 = Beta1, Beta2 = Beta2, Tau = Tau };
    private static readonly NamedTensor[] Global = TestParameters.Model([0.5f, -0.5f, 1f, 0f], [0.25f]);
    private static readonly Dictionary<string, double> NoMetrics = [];

    // Weighted mean of the locals: (1·a + 3·b)/4; pseudo-gradient Δ = mean − global.
    private static readonly FitResult[] Results =
    [
        new("a", TestParameters.Model([1.5f, -0.5f, 0f, 0.4f], [0.25f]), 1, NoMetrics),
        new("b", TestParameters.Model([0.5f, 0.3f, 1f, 0f], [-0.75f]), 3, NoMetrics),
    ];

    private static double[] Deltas()
    {
        double[] globals = [0.5, -0.5, 1, 0, 0.25];
        double[] a = [1.5, -0.5, 0, 0.4, 0.25];
        double[] b = [0.5, 0.3, 1, 0, -0.75];
        var delta = new double[5];
        for (var i = 0; i < 5; i++)
        {
            delta[i] = (a[i] + 3 * b[i]) / 4 - globals[i];
        }

        return delta;
    }

    private static double GlobalValue(int i) => i < 4 ? Global[0].Values[i] : Global[1].Values[0];

    private static float Next(IReadOnlyList<NamedTensor> next, int i) => i < 4 ? next[0].Values[i] : next[1].Values[0];

    [Fact]
    public void AggregateFit_FedAdamOneStep_EqualsHandComputation()
    {
        var next = new FedAdamStrategy(Options).AggregateFit(1, Global, Results, [])!;
        var delta = Deltas();
        for (var i = 0; i < 5; i++)
        {
            var m = (1 - Beta1) * delta[i];
            var v = Beta2 * Tau * Tau + (1 - Beta2) * delta[i] * delta[i];
            Assert.Equal(GlobalValue(i) + Eta * m / (Math.Sqrt(v) + Tau), Next(next, i), 5);
        }
    }

    [Fact]
    public void AggregateFit_FedYogiOneStep_EqualsHandComputation()
    {
        var next = new FedYogiStrategy(Options).AggregateFit(1, Global, Results, [])!;
        var delta = Deltas();
        for (var i = 0; i < 5; i++)
        {
            var m = (1 - Beta1) * delta[i];
            var v0 = Tau * Tau;
            var d2 = delta[i] * delta[i];
            var v = v0 - (1 - Beta2) * d2 * Math.Sign(v0 - d2);
            Assert.Equal(GlobalValue(i) + Eta * m / (Math.Sqrt(v) + Tau), Next(next, i), 5);
        }
    }

    [Fact]
    public void AggregateFit_FedYogiVsAdam_DifferInSecondMoment()
    {
        // Where Δ² > τ², Yogi grows v by (1−β2)Δ² on top of τ², Adam shrinks τ² by β2 first: v differs, so do the steps.
        var adam = new FedAdamStrategy(Options);
        var yogi = new FedYogiStrategy(Options);
        adam.AggregateFit(1, Global, Results, []);
        yogi.AggregateFit(1, Global, Results, []);
        Assert.NotEqual(adam.ExportState()[2].Values, yogi.ExportState()[2].Values);
    }

    [Fact]
    public void ExportImportState_Roundtrip_ContinuesIdentically()
    {
        var original = new FedAdamStrategy(Options);
        var step1 = original.AggregateFit(1, Global, Results, [])!;
        var state = original.ExportState();
        Assert.Equal(["m/head.weight", "m/head.bias", "v/head.weight", "v/head.bias"], state.Select(s => s.Name));

        var restored = new FedAdamStrategy(Options);
        restored.ImportState(state);
        var fromOriginal = original.AggregateFit(2, step1, Results, [])!;
        var fromRestored = restored.AggregateFit(2, step1, Results, [])!;
        for (var t = 0; t < fromOriginal.Count; t++)
        {
            Assert.Equal(fromOriginal[t].Values, fromRestored[t].Values);
        }
    }

    [Fact]
    public void ImportState_OtherStrategysState_Throws()
    {
        var adam = new FedAdamStrategy(Options);
        adam.AggregateFit(1, Global, Results, []);
        var error = Assert.Throws<FederationException>(() => new FedAvgStrategy(new FedAvgOptions()).ImportState(adam.ExportState()));
        Assert.Contains("'fedavg' keeps no server state", error.Message);
    }

    [Fact]
    public void AggregateFit_NoResults_KeepsModelAndState()
    {
        var yogi = new FedYogiStrategy(Options);
        Assert.Null(yogi.AggregateFit(1, Global, [], []));
        Assert.Empty(yogi.ExportState());
    }
}
