namespace PathoFed.Federation.Strategies;

/// <summary>Options of <see cref="FedAvgStrategy"/> (JSON: <c>local_epochs</c>, <c>learning_rate</c>).</summary>
public sealed record FedAvgOptions
{
    /// <summary>Local epochs per round at each site.</summary>
    public int LocalEpochs { get; init; } = 1;

    /// <summary>Local (client) learning rate.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public FedAvgOptions Validate()
    {
        StrategyOptionChecks.LocalTraining(LocalEpochs, LearningRate);
        return this;
    }
}

/// <summary>Options of <see cref="FedProxStrategy"/> (JSON adds <c>proximal_mu</c>).</summary>
public sealed record FedProxOptions
{
    /// <summary>Local epochs per round at each site.</summary>
    public int LocalEpochs { get; init; } = 1;

    /// <summary>Local (client) learning rate.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>
    /// Weight mu of the proximal term mu/2·‖w − w_global‖² the sites add to their loss (Li et al. 2020). 1, not the 0.01
    /// it was: on the non-IID grid (README, <c>tools/bench-fed-noniid.sh</c>) 0.01 behaved like FedAvg, while 1 and 3 kept
    /// every one of ten seeds within 0.01 of pooled training at Dirichlet α = 0.5 and 1. Tune it with <c>fed simulate</c>.
    /// </summary>
    public double ProximalMu { get; init; } = 1;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public FedProxOptions Validate()
    {
        StrategyOptionChecks.LocalTraining(LocalEpochs, LearningRate);
        StrategyOptionChecks.NonNegativeFinite(ProximalMu, nameof(ProximalMu));
        return this;
    }
}

/// <summary>
/// Options of <see cref="FedAdamStrategy"/> and <see cref="FedYogiStrategy"/> (Reddi et al. 2021; JSON:
/// <c>server_learning_rate</c>, <c>beta1</c>, <c>beta2</c>, <c>tau</c>). Defaults follow the paper's usual grid.
/// </summary>
public sealed record AdaptiveOptions
{
    /// <summary>Local epochs per round at each site.</summary>
    public int LocalEpochs { get; init; } = 1;

    /// <summary>Local (client) learning rate η_l.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Server learning rate η.</summary>
    public double ServerLearningRate { get; init; } = 0.01;

    /// <summary>First-moment decay β1.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Second-moment decay β2.</summary>
    public double Beta2 { get; init; } = 0.99;

    /// <summary>Adaptivity τ: added to √v in the step, and v starts at τ² (Algorithm 2 of the paper).</summary>
    public double Tau { get; init; } = 1e-3;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public AdaptiveOptions Validate()
    {
        StrategyOptionChecks.LocalTraining(LocalEpochs, LearningRate);
        StrategyOptionChecks.Positive(ServerLearningRate, nameof(ServerLearningRate));
        StrategyOptionChecks.Positive(Tau, nameof(Tau));
        StrategyOptionChecks.UnitInterval(Beta1, nameof(Beta1));
        StrategyOptionChecks.UnitInterval(Beta2, nameof(Beta2));
        return this;
    }
}

internal static class StrategyOptionChecks
{
    public static void LocalTraining(int localEpochs, double learningRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(localEpochs, 1, "LocalEpochs");
        Positive(learningRate, "LearningRate");
    }

    public static void Positive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a positive finite number.");
        }
    }

    public static void NonNegativeFinite(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a non-negative finite number.");
        }
    }

    public static void UnitInterval(double value, string name)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must lie in [0, 1).");
        }
    }
}
