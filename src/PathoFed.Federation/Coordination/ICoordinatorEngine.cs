namespace PathoFed.Federation.Coordination;

/// <summary>What a site says when it joins: its software and the features it trains on (never the data itself).</summary>
public sealed record SiteHello(string PathofedVersion, string ExtractorId, string ExtractorSha256, int EmbeddingDim);

/// <summary>The coordinator's answer to a join: the federation's name and its plan (JSON), which the site trains by.</summary>
public sealed record JoinResult(string Federation, string PlanJson);

/// <summary>The next thing a site should do.</summary>
public abstract record SiteTask
{
    /// <summary>Nothing to do yet (round not open, waiting for quorum...): ask again.</summary>
    public sealed record Wait(string Reason) : SiteTask;

    /// <summary>Train round <see cref="Round"/> from <see cref="GlobalWeights"/> (safetensors bytes) and submit with <see cref="Nonce"/> before <see cref="Deadline"/>.</summary>
    public sealed record Train(int Round, string Nonce, byte[] GlobalWeights, string GlobalSha256, string ConfigJson, DateTimeOffset Deadline) : SiteTask;

    /// <summary>A secure-aggregation protocol step for round <see cref="Round"/>: <see cref="Payload"/> is the library's message, serialised.</summary>
    public sealed record SecureAggregationStep(int Round, int Stage, string Nonce, byte[] Payload) : SiteTask;

    /// <summary>Training is over: the final model's hash, after <see cref="Rounds"/> rounds.</summary>
    public sealed record Finished(int Rounds, string ModelSha256) : SiteTask;
}

/// <summary>A site's trained update: safetensors bytes of its parameters (or masked vector), with the example count and local metrics.</summary>
public sealed record SubmittedUpdate(int Round, string Nonce, byte[] Weights, int ExampleCount, IReadOnlyDictionary<string, double> Metrics);

/// <summary>A secure-aggregation message from a site.</summary>
public sealed record SecureAggregationEnvelope(int Round, int Stage, string Nonce, byte[] Payload);

/// <summary>Whether the coordinator took a submission; <see cref="Reason"/> says why not.</summary>
public sealed record SubmitResult(bool Accepted, string? Reason)
{
    public static SubmitResult Ok { get; } = new(true, null);

    public static SubmitResult Refused(string reason) => new(false, reason);
}

/// <summary>
/// The coordinator's logic, free of any transport: the gRPC service maps each call onto it (the site name coming from the
/// verified client certificate), and the in-process simulation calls it directly. Implementations are thread-safe.
/// </summary>
public interface ICoordinatorEngine
{
    /// <exception cref="FederationException">The site is not allowed, or its features do not fit the plan.</exception>
    JoinResult Join(string site, SiteHello hello);

    /// <summary>Waits up to <paramref name="wait"/> for something for <paramref name="site"/> to do.</summary>
    Task<SiteTask> NextTaskAsync(string site, TimeSpan wait, CancellationToken cancellationToken);

    SubmitResult SubmitUpdate(string site, SubmittedUpdate update);

    SubmitResult SubmitSecureAggregation(string site, SecureAggregationEnvelope message);
}
