namespace PathoFed.Federation.Security;

/// <summary>A federation CA, certificate or allow-list file that cannot be created, read or used; the message names the file or site and the cause.</summary>
public sealed class CertificateException(string message, Exception? inner = null) : FederationException(message, inner);
