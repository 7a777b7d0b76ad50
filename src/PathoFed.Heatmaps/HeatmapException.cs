namespace PathoFed.Heatmaps;

/// <summary>A heatmap that cannot be drawn: scores and slide that do not match, an unreadable score table; the message names the files.</summary>
public sealed class HeatmapException(string message, Exception? inner = null) : PathoFedException(message, inner);
