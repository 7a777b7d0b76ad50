using PathoFed.Federation.Coordination;

namespace PathoFed.Federation.Sites;

/// <summary>
/// A site's line to the coordinator: the four calls of <see cref="ICoordinatorEngine"/>, with the site's identity
/// supplied by the channel (its client certificate over gRPC, a fixed name in process).
/// </summary>
public interface ISiteChannel
{
    /// <exception cref="FederationException">The coordinator refused the site.</exception>
    Task<JoinResult> JoinAsync(SiteHello hello, CancellationToken cancellationToken);

    /// <summary>The site's next task, waiting up to <paramref name="wait"/> at the coordinator when there is none yet.</summary>
    Task<SiteTask> NextTaskAsync(TimeSpan wait, CancellationToken cancellationToken);

    Task<SubmitResult> SubmitUpdateAsync(SubmittedUpdate update, CancellationToken cancellationToken);

    Task<SubmitResult> SubmitSecureAggregationAsync(SecureAggregationEnvelope message, CancellationToken cancellationToken);
}

/// <summary>A channel that calls a coordinator engine in the same process as <see cref="Site"/> (simulations and tests).</summary>
public sealed class InProcessSiteChannel(ICoordinatorEngine engine, string site) : ISiteChannel
{
    /// <summary>The name the engine sees, as the verified certificate name would be over gRPC.</summary>
    public string Site { get; } = site;

    /// <inheritdoc />
    public Task<JoinResult> JoinAsync(SiteHello hello, CancellationToken cancellationToken) => Task.FromResult(engine.Join(Site, hello));

    /// <inheritdoc />
    public Task<SiteTask> NextTaskAsync(TimeSpan wait, CancellationToken cancellationToken) => engine.NextTaskAsync(Site, wait, cancellationToken);

    /// <inheritdoc />
    public Task<SubmitResult> SubmitUpdateAsync(SubmittedUpdate update, CancellationToken cancellationToken) => Task.FromResult(engine.SubmitUpdate(Site, update));

    /// <inheritdoc />
    public Task<SubmitResult> SubmitSecureAggregationAsync(SecureAggregationEnvelope message, CancellationToken cancellationToken) =>
        Task.FromResult(engine.SubmitSecureAggregation(Site, message));
}
