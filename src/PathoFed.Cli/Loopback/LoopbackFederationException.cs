namespace PathoFed.Cli.Loopback;

/// <summary>A loopback federation could not be set up, or one of its processes failed or ran out of time (the message names it).</summary>
public sealed class LoopbackFederationException(string message, Exception? inner = null) : PathoFedException(message, inner);
