namespace PathoFed.Mil;

/// <summary>A MIL data set, model folder or training run that cannot be used; the message names the file and the cause.</summary>
public sealed class MilException(string message, Exception? inner = null) : PathoFedException(message, inner);
