namespace PathoFed.Federation;

/// <summary>A federation error raised on purpose: the message names the site, round, file or certificate and the cause.</summary>
public class FederationException(string message, Exception? inner = null) : PathoFedException(message, inner);
