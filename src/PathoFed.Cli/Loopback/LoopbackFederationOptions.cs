using PathoFed.Federation.Plans;
using PathoFed.Federation.Security;

namespace PathoFed.Cli.Loopback;

/// <summary>A site of a loopback federation: its name (its certificate's CN) and its local data, as <c>fed join</c> reads them.</summary>
/// <param name="Name">Site name (<see cref="FederationNames.SiteNameRule"/>).</param>
/// <param name="FeaturesFolder">The site's <c>&lt;slide&gt;/features.parquet</c> folder.</param>
/// <param name="LabelsCsv">The site's labels CSV.</param>
internal sealed record LoopbackSite(string Name, string FeaturesFolder, string LabelsCsv);

/// <summary>What a loopback federation trains, with whom, where it writes, and how long it may take.</summary>
internal sealed record LoopbackFederationOptions
{
    /// <summary>The work folder; everything goes under its <c>federation/</c> subfolder.</summary>
    public required string WorkFolder { get; init; }

    public required FederationPlan Plan { get; init; }

    public required IReadOnlyList<LoopbackSite> Sites { get; init; }

    /// <summary>The whole run, from the first process started to the last one finished.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long the coordinator keeps serving after the last round so every site hears that training finished.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How the child processes start; <c>null</c> for <see cref="PathofedLauncher.Current"/>.</summary>
    public PathofedLauncher? Launcher { get; init; }

    /// <exception cref="ArgumentException">A value is missing, out of range or repeated (named, with the value).</exception>
    /// <exception cref="PathoFed.Federation.FederationException">The plan is invalid.</exception>
    public LoopbackFederationOptions Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(WorkFolder);
        ArgumentNullException.ThrowIfNull(Plan);
        ArgumentNullException.ThrowIfNull(Sites);
        Plan.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(Linger, TimeSpan.Zero);
        if (Sites.Count < Plan.MinSites)
            throw new ArgumentException($"The plan needs {Plan.MinSites} site(s) per round but {Sites.Count} were given: no round could ever close.", nameof(Sites));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (LoopbackSite site in Sites)
        {
            if (!FederationNames.IsValidSiteName(site.Name))
                throw new ArgumentException($"'{site.Name}' is not a valid site name: use {FederationNames.SiteNameRule}.", nameof(Sites));
            if (!names.Add(site.Name)) throw new ArgumentException($"Site '{site.Name}' is listed twice.", nameof(Sites));
            ArgumentException.ThrowIfNullOrWhiteSpace(site.FeaturesFolder);
            ArgumentException.ThrowIfNullOrWhiteSpace(site.LabelsCsv);
        }
        return this;
    }
}
