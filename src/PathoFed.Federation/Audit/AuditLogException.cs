namespace PathoFed.Federation.Audit;

/// <summary>An audit log that cannot be opened, verified or appended to; the message names the file, the line when there is one, and the cause.</summary>
public sealed class AuditLogException(string message, Exception? inner = null) : FederationException(message, inner);
