namespace PathoFed.Mil.Heads;

/// <summary>
/// What a forward pass produced for one bag. The spans view the head's own buffers: they stay valid until the head's next
/// forward pass; copy them to keep them.
/// </summary>
public sealed class MilHeadOutput
{
    private readonly float[] _outputs;
    private float[] _instanceScores = [];
    private int _instanceCount;

    internal MilHeadOutput(int outputCount) => _outputs = new float[outputCount];

    /// <summary>The slide this output belongs to.</summary>
    public string SlideId { get; private set; } = "";

    /// <summary>Class logits, or the single risk score for survival.</summary>
    public ReadOnlySpan<float> Outputs => _outputs;

    /// <summary>
    /// One score per instance for heatmaps: attention weights (ABMIL, sum 1), tile scores (CHOWDER), or 1/n (mean pool).
    /// </summary>
    public ReadOnlySpan<float> InstanceScores => _instanceScores.AsSpan(0, _instanceCount);

    internal Span<float> WritableOutputs => _outputs;

    internal Span<float> Begin(string slideId, int instanceCount)
    {
        SlideId = slideId;
        _instanceCount = instanceCount;
        if (_instanceScores.Length < instanceCount) _instanceScores = new float[Math.Max(instanceCount, _instanceScores.Length * 3 / 2)];
        return _instanceScores.AsSpan(0, instanceCount);
    }
}
