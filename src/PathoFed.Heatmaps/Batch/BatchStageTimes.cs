using System.Diagnostics;

namespace PathoFed.Heatmaps.Batch;

/// <summary>
/// How long each stage of a batch run was busy (tiling, embedding, scoring, heatmap), against the run's wall time: with the
/// stages overlapping, the embedding stage's share of the wall time says how little the extractor waited.
/// </summary>
public sealed class BatchStageTimes
{
    private readonly Dictionary<string, TimeSpan> _busy = [];
    private readonly Stopwatch _wall = Stopwatch.StartNew();

    /// <summary>Busy time by stage, in the order the stages first ran.</summary>
    public IReadOnlyDictionary<string, TimeSpan> Busy
    {
        get
        {
            lock (_busy) return new Dictionary<string, TimeSpan>(_busy);
        }
    }

    public TimeSpan Wall => _wall.Elapsed;

    /// <summary>Runs one stage's work for one slide, adding its duration to the stage's busy time.</summary>
    internal async Task<T> TimeAsync<T>(string stage, Func<Task<T>> work)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return await work();
        }
        finally
        {
            TimeSpan took = Stopwatch.GetElapsedTime(start);
            lock (_busy) _busy[stage] = _busy.GetValueOrDefault(stage) + took;
        }
    }

    internal void Stop() => _wall.Stop();

    /// <summary>One line, e.g. "tiling 3.1 s, embedding 40.2 s, scoring 0.4 s, heatmap 5.9 s busy in 44.0 s".</summary>
    public override string ToString() =>
        string.Join(", ", Busy.Select(stage => FormattableString.Invariant($"{stage.Key} {stage.Value.TotalSeconds:0.0} s"))) +
        FormattableString.Invariant($" busy in {Wall.TotalSeconds:0.0} s");
}
