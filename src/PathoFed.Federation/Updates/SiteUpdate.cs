using PathoFed.Mil.Data;

namespace PathoFed.Federation.Updates;

/// <summary>
/// What a site sends back after local training (Flower's <c>FitRes</c> plus the round's authentication): its trained
/// parameters, the number of examples they were trained on (the aggregation weight) and its local metrics.
/// </summary>
/// <param name="Site">The site's registered name.</param>
/// <param name="Round">The round the site trained for.</param>
/// <param name="Nonce">The nonce the coordinator issued to this site for this round (<see cref="RoundNonces"/>).</param>
/// <param name="Tensors">The site's local parameters, same names and shapes as the global model.</param>
/// <param name="ExampleCount">Training examples behind the update; the FedAvg weight.</param>
/// <param name="Metrics">Local metrics (loss, accuracy...), by name.</param>
public sealed record SiteUpdate(
    string Site,
    int Round,
    string Nonce,
    IReadOnlyList<NamedTensor> Tensors,
    long ExampleCount,
    IReadOnlyDictionary<string, double> Metrics);
