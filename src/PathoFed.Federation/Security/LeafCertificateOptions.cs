using System.Net;

namespace PathoFed.Federation.Security;

/// <summary>Optional settings for <see cref="FederationCa.Issue"/>.</summary>
public sealed record LeafCertificateOptions
{
    /// <summary>DNS names added to the certificate's subject alternative names besides its own name (e.g. the coordinator's public host name).</summary>
    public IReadOnlyList<string> ExtraDnsNames { get; init; } = [];

    /// <summary>IP addresses added to the subject alternative names (for a coordinator reached by address).</summary>
    public IReadOnlyList<IPAddress> ExtraIpAddresses { get; init; } = [];

    /// <summary>Adds <c>localhost</c>, <c>127.0.0.1</c> and <c>::1</c>; always on for the coordinator, so a federation can be tried on one machine.</summary>
    public bool IncludeLoopback { get; init; }

    /// <summary>Password protecting the written <c>NAME.pfx</c>; <c>null</c> leaves it unencrypted (it is mode 0600 either way).</summary>
    public string? PfxPassword { get; init; }

    /// <summary>Password of the CA's private key, when <see cref="FederationCa.Init"/> was given one.</summary>
    public string? CaKeyPassword { get; init; }
}
