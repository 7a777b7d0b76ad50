using System.Globalization;
using PathoFed.Slides.Tiling;

namespace PathoFed.Heatmaps.Batch;

/// <summary>
/// One part of a cohort for a cluster's job array: shard <see cref="Index"/> (0-based, as Slurm's
/// <c>SLURM_ARRAY_TASK_ID</c> with <c>--array=0-(n-1)</c> and Kubernetes' <c>JOB_COMPLETION_INDEX</c>) of <see cref="Count"/>
/// takes every Count-th slide of the input list starting at Index. The split depends only on the list's order (a
/// manifest's rows, or file names sorted ordinally in a folder), so every machine computes the same one.
/// </summary>
public sealed record SlideShard(int Index, int Count)
{
    public static SlideShard All { get; } = new(0, 1);

    /// <summary>Parses <c>i/n</c>.</summary>
    /// <exception cref="ArgumentException">Not of the form i/n with 0 ≤ i &lt; n.</exception>
    public static SlideShard Parse(string text)
    {
        string[] parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            && count >= 1 && index < count)
        {
            return new SlideShard(index, count);
        }
        throw new ArgumentException($"--shard must be i/n with 0 <= i < n (0-based, e.g. 0/4 to 3/4 for a job array of four), not '{text}'.");
    }

    public IReadOnlyList<SlideSource> Select(IReadOnlyList<SlideSource> sources) =>
        Count == 1 ? sources : sources.Where((_, i) => i % Count == Index).ToArray();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
