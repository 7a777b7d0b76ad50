namespace PathoFed.Federation.Updates;

/// <summary>A site's update was refused before aggregation; the message names the site, the round and the offending tensor or value.</summary>
public sealed class InvalidSiteUpdateException(string site, int round, string reason, string? tensorName = null)
    : FederationException($"Update from site '{site}' for round {round} refused: {reason}")
{
    /// <summary>The site that sent the update.</summary>
    public string Site { get; } = site;

    /// <summary>The round the update claimed (or was expected for).</summary>
    public int Round { get; } = round;

    /// <summary>The tensor at fault, when the fault lies in one tensor.</summary>
    public string? TensorName { get; } = tensorName;
}
