namespace PathoFed.Features.Extractors;

/// <summary>A feature extractor that cannot be used: missing, not ONNX, or not what its manifest says. Raised before any slide is read.</summary>
public sealed class ModelLoadException(string message, Exception? inner = null) : PathoFedException(message, inner);
