using PathoFed.Federation.Updates;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Strategies;

/// <summary>
/// What a site is told to do in a round (Flower's <c>FitIns</c> config): train <see cref="LocalEpochs"/> epochs at
/// <see cref="LearningRate"/>, with a proximal term <c>mu/2·‖w − w_global‖²</c> when <see cref="ProximalMu"/> &gt; 0 (FedProx).
/// </summary>
public sealed record FitConfig(int Round, int LocalEpochs, double LearningRate, double ProximalMu);

/// <summary>A site's accepted result for a round (Flower's <c>FitRes</c>): its local parameters and the example count that weights them.</summary>
public sealed record FitResult(string Site, IReadOnlyList<NamedTensor> Parameters, long ExampleCount, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>
    /// The wire name of <see cref="ExampleCount"/>, the key every weighted strategy weights by (Flower's <c>num_examples</c>);
    /// coordinators serialising results should use it.
    /// </summary>
    public const string WeightingKey = "num_examples";

    /// <summary>The result carried by an update the <see cref="UpdateValidator"/> accepted.</summary>
    public static FitResult From(SiteUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return new FitResult(update.Site, update.Tensors, update.ExampleCount, update.Metrics);
    }
}

/// <summary>A site that was sampled but returned nothing usable this round, and why.</summary>
public sealed record FitFailure(string Site, string Reason);
