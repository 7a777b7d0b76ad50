using System.Globalization;
using System.Text.RegularExpressions;

namespace PathoFed.Slides.Synthetic;

/// <summary>
/// What <see cref="SyntheticCohort"/> generates: square slides spread over hospital sites, a share of them with tumour
/// foci, plus a held-out set. Everything follows from these values, so the same options always give the same cohort.
/// </summary>
public sealed partial record SyntheticCohortOptions
{
    /// <summary>The default slide side: 4096 px at 0.5 µm/px (2 x 2 mm) holds about 100-150 tissue patches of 224 px.</summary>
    public const long DefaultSlideSizePx = 4096;

    public const long MinSlideSizePx = 1024;

    /// <summary>Site names, also their folder names: letters, digits, '.', '_' and '-', distinct ignoring case.</summary>
    public IReadOnlyList<string> Sites { get; init; } = ["hospital-a", "hospital-b", "hospital-c"];

    public int SlidesPerSite { get; init; } = 10;

    /// <summary>Slides kept aside for evaluation, their stains drawn from the sites in turn; 0 for none.</summary>
    public int HeldOutSlides { get; init; } = 6;

    /// <summary>
    /// The share of each site's (and the held-out set's) slides with tumour, rounded; a set of 2 or more slides gets at
    /// least one of each class whenever the fraction is strictly between 0 and 1, so every site can train.
    /// </summary>
    public double TumourFraction { get; init; } = 0.5;

    /// <summary>Side of the square slides in level-0 pixels.</summary>
    public long SlideSizePx { get; init; } = DefaultSlideSizePx;

    public int Seed { get; init; } = 1;

    /// <summary>
    /// How far each site's haematoxylin and eosin intensity may stray from the standard (0.12: ±12%), as labs' protocols
    /// do; slides add ±4% of their own. Sites hold the same share of tumour, so the stain says nothing of the label.
    /// </summary>
    public double SiteStainShift { get; init; } = 0.12;

    /// <summary>Slides written at once (each also renders its tiles in parallel).</summary>
    public int MaxParallelSlides { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>The largest <see cref="SiteStainShift"/>: with the per-slide jitter, stains stay in a plausible range.</summary>
    public const double MaxSiteStainShift = 0.4;

    /// <summary>Checks every value once; returns this for chaining.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it and its value.</exception>
    public SyntheticCohortOptions Validate()
    {
        if (Sites is null || Sites.Count == 0) Fail("Sites is empty; a cohort needs at least one site");
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < Sites.Count; i++)
        {
            string site = Sites[i];
            if (site is null || !SiteName().IsMatch(site))
            {
                Fail($"Sites[{i}] ('{site}') must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (it names a folder)");
            }
            if (string.Equals(site, SyntheticCohort.HeldOutSite, StringComparison.OrdinalIgnoreCase))
            {
                Fail($"Sites[{i}] ('{site}') is reserved for the held-out slides; rename the site");
            }
            if (!seen.Add(site)) Fail($"Sites[{i}] ('{site}') is listed twice (names are compared ignoring case)");
        }
        if (SlidesPerSite is < 1 or > 10_000) Fail($"SlidesPerSite ({SlidesPerSite}) must be between 1 and 10000");
        if (HeldOutSlides is < 0 or > 10_000) Fail($"HeldOutSlides ({HeldOutSlides}) must be between 0 and 10000");
        if (!(TumourFraction >= 0 && TumourFraction <= 1)) Fail(Invariant($"TumourFraction ({TumourFraction}) must be between 0 and 1"));
        if (SlideSizePx < MinSlideSizePx || SlideSizePx > SyntheticSpecValidator.MaxSidePx)
        {
            Fail($"SlideSizePx ({SlideSizePx}) must be between {MinSlideSizePx} and {SyntheticSpecValidator.MaxSidePx} px");
        }
        if (!(SiteStainShift >= 0 && SiteStainShift <= MaxSiteStainShift))
        {
            Fail(Invariant($"SiteStainShift ({SiteStainShift}) must be between 0 and {MaxSiteStainShift}"));
        }
        if (MaxParallelSlides < 1) Fail($"MaxParallelSlides ({MaxParallelSlides}) must be at least 1");
        return this;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex SiteName();

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string message) => throw new ArgumentException(message + ".", "options");
}
