namespace PathoFed.Federation.Security;

/// <summary>What a federation certificate is for; it decides the extended key usages and which names it may carry.</summary>
public enum FederationRole
{
    /// <summary>A hospital's site agent: a TLS client only (EKU clientAuth), named by its site name.</summary>
    Site,

    /// <summary>The coordinator: a TLS server that sites connect to (EKU serverAuth and clientAuth), named by its host name.</summary>
    Coordinator,
}
