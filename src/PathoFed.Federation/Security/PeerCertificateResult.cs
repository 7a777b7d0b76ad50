namespace PathoFed.Federation.Security;

/// <summary>The verdict of <see cref="PeerCertificatePolicy"/> on one presented certificate.</summary>
public sealed record PeerCertificateResult
{
    private PeerCertificateResult(bool isAccepted, string? peerName, string? reason, string? thumbprint)
    {
        IsAccepted = isAccepted;
        PeerName = peerName;
        Reason = reason;
        Thumbprint = thumbprint;
    }

    /// <summary>Whether the peer may talk to us.</summary>
    public bool IsAccepted { get; }

    /// <summary>The peer's identity: the site name (for sites) or the coordinator's CN; the certificate's CN when rejected, <c>null</c> without a certificate.</summary>
    public string? PeerName { get; }

    /// <summary>Why the certificate was rejected, in words fit for a log line; <c>null</c> when accepted.</summary>
    public string? Reason { get; }

    /// <summary>SHA-256 thumbprint (hex) of the presented certificate, <c>null</c> without one: what an audit entry records.</summary>
    public string? Thumbprint { get; }

    internal static PeerCertificateResult Accept(string peerName, string thumbprint) => new(true, peerName, null, thumbprint);

    internal static PeerCertificateResult Reject(string? peerName, string reason, string? thumbprint) => new(false, peerName, reason, thumbprint);

    /// <inheritdoc/>
    public override string ToString() => IsAccepted ? $"accepted '{PeerName}'" : $"rejected: {Reason}";
}
