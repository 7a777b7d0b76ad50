using System.Text.RegularExpressions;

namespace PathoFed.Federation.Security;

/// <summary>
/// The names federation certificates carry. A site name is a single lowercase DNS label, because it is both the
/// certificate's CN and a DNS name in its subject alternative names, and it is compared byte for byte with the
/// allow-list: one spelling per site leaves no room for look-alike names (case, trailing dots, Unicode).
/// "coordinator" is reserved: it is the coordinator's actor name in audit logs, and no site may share it.
/// </summary>
public static partial class FederationNames
{
    /// <summary>The rule for site names, worded for error messages and help text.</summary>
    public const string SiteNameRule = "1-63 lowercase letters, digits and '-', not starting or ending with '-', and not 'coordinator'";

    /// <summary>The actor name the coordinator writes in audit logs.</summary>
    public const string CoordinatorActor = "coordinator";

    /// <summary>Whether <paramref name="name"/> is a valid site name (<see cref="SiteNameRule"/>).</summary>
    public static bool IsValidSiteName(string? name) => IsDnsLabel(name) && name != CoordinatorActor;

    /// <summary>Whether <paramref name="name"/> is a lowercase DNS host name: dot-separated site-name-like labels, at most 253 characters.</summary>
    public static bool IsValidHostName(string? name) =>
        name is { Length: > 0 and <= 253 } && name.Split('.').All(IsDnsLabel);

    /// <summary>Whether <paramref name="name"/> may name a certificate of <paramref name="role"/>: a site name for sites, a host name for the coordinator.</summary>
    public static bool IsValidName(string? name, FederationRole role) =>
        role == FederationRole.Site ? IsValidSiteName(name) : IsValidHostName(name);

    /// <summary>Whether <paramref name="actor"/> may write audit entries: <see cref="CoordinatorActor"/> or a site name.</summary>
    public static bool IsValidActor(string? actor) => actor == CoordinatorActor || IsValidSiteName(actor);

    private static bool IsDnsLabel(string? name) => name is not null && DnsLabel().IsMatch(name);

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();
}
