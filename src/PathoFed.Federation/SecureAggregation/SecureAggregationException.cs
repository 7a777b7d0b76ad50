namespace PathoFed.Federation.SecureAggregation;

/// <summary>
/// A secure-aggregation round cannot go on: too few sites survive, a message breaks the protocol, or a share or key is
/// corrupt. The message names the session, the round, the protocol step and, where there is one, the site.
/// </summary>
public sealed class SecureAggregationException(string message, Exception? inner = null) : FederationException(message, inner);
