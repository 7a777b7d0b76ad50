using PathoFed.Mil.Data;

namespace PathoFed.Federation.Updates;

/// <summary>
/// Gatekeeper of one open round: an update is aggregated only if it is for this round, carries the nonce issued to
/// its site, has not been accepted before, matches the global model's layout, is finite, and moves the model by at
/// most <see cref="UpdateValidationOptions.MaxUpdateL2Norm"/>. Thread-safe: transport handlers may call it concurrently.
/// </summary>
public sealed class UpdateValidator
{
    private readonly IReadOnlyList<NamedTensor> _global;
    private readonly RoundNonces _nonces;
    private readonly UpdateValidationOptions _options;
    private readonly HashSet<string> _accepted = new(StringComparer.Ordinal);
    private readonly Lock _acceptedLock = new();

    /// <summary>Opens validation of round <see cref="RoundNonces.Round"/> of <paramref name="nonces"/> against <paramref name="global"/>.</summary>
    public UpdateValidator(IReadOnlyList<NamedTensor> global, RoundNonces nonces, UpdateValidationOptions options)
    {
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(nonces);
        ArgumentNullException.ThrowIfNull(options);
        _global = global;
        _nonces = nonces;
        _options = options.Validate();
    }

    /// <summary>The open round.</summary>
    public int Round => _nonces.Round;

    /// <summary>The sites whose update has been accepted so far.</summary>
    public IReadOnlyCollection<string> AcceptedSites
    {
        get
        {
            lock (_acceptedLock)
            {
                return [.. _accepted];
            }
        }
    }

    /// <summary>Checks <paramref name="update"/> and, when it passes, records its site as having reported this round.</summary>
    /// <exception cref="InvalidSiteUpdateException">The update fails a check; the message names the site, round and tensor or value.</exception>
    public void Accept(SiteUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var site = update.Site;
        if (update.Round != Round)
        {
            throw new InvalidSiteUpdateException(site, update.Round, $"the open round is {Round}.");
        }

        if (!_nonces.WasIssuedTo(site))
        {
            throw new InvalidSiteUpdateException(site, Round, "the site was not sampled for this round (no nonce was issued to it).");
        }

        if (!_nonces.Matches(site, update.Nonce))
        {
            throw new InvalidSiteUpdateException(site, Round, "its nonce is not the one issued to it for this round.");
        }

        ThrowIfAlreadyAccepted(site);
        ParameterLayout.RequireSameLayout(site, Round, _global, update.Tensors);
        ParameterLayout.RequireFinite(site, Round, update.Tensors);
        if (update.ExampleCount <= 0)
        {
            throw new InvalidSiteUpdateException(site, Round, $"its example count is {update.ExampleCount}; it must be positive.");
        }

        var norm = ParameterLayout.DistanceL2(_global, update.Tensors);
        if (!(norm <= _options.MaxUpdateL2Norm))
        {
            throw new InvalidSiteUpdateException(
                site, Round, $"the L2 norm of (update − global) is {norm:G6}, above the bound {_options.MaxUpdateL2Norm:G6}.");
        }

        lock (_acceptedLock)
        {
            // Checked again under the lock: two copies of one update may have raced past the first check.
            if (!_accepted.Add(site))
            {
                ThrowReplay(site);
            }
        }
    }

    private void ThrowIfAlreadyAccepted(string site)
    {
        lock (_acceptedLock)
        {
            if (_accepted.Contains(site))
            {
                ThrowReplay(site);
            }
        }
    }

    private void ThrowReplay(string site) =>
        throw new InvalidSiteUpdateException(site, Round, "an update from this site was already accepted this round (replay).");
}
