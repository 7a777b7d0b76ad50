using PathoFed.Slides.Synthetic;

namespace PathoFed.Cli.Demo;

/// <summary>The size of <c>pathofed demo</c>'s cohort and federation; the defaults run in a few minutes on two cores.</summary>
internal sealed record DemoOptions
{
    /// <summary>Larger slides are for benchmarks, not for a demo: 36 of them would take hours to embed on two cores.</summary>
    public const long MaxSlideSizePx = 32_768;

    public required string OutputFolder { get; init; }

    public int SlidesPerSite { get; init; } = 10;

    public int HeldOutSlides { get; init; } = 6;

    public long SlideSizePx { get; init; } = SyntheticCohortOptions.DefaultSlideSizePx;

    public int Rounds { get; init; } = 25;

    public int Seed { get; init; } = 1;

    /// <summary>Checks the sizes a federated run needs: both classes at every site and in its local hold-out, rounds to run.</summary>
    /// <exception cref="ArgumentException">A size is too small; the message names the option.</exception>
    public DemoOptions Validate()
    {
        if (SlidesPerSite < 4) throw new ArgumentException($"--slides-per-site ({SlidesPerSite}) must be at least 4: each hospital needs both classes to train and to hold out");
        if (HeldOutSlides < 2) throw new ArgumentException($"--held-out ({HeldOutSlides}) must be at least 2: one slide of each class");
        if (Rounds is < 1 or > 1000) throw new ArgumentException($"--rounds ({Rounds}) must be between 1 and 1000");
        if (SlideSizePx is < SyntheticCohortOptions.MinSlideSizePx or > MaxSlideSizePx)
        {
            throw new ArgumentException($"--slide-size ({SlideSizePx}) must be between {SyntheticCohortOptions.MinSlideSizePx} and {MaxSlideSizePx} px");
        }
        _ = Cohort;
        return this;
    }

    public SyntheticCohortOptions Cohort => new SyntheticCohortOptions
    {
        SlidesPerSite = SlidesPerSite,
        HeldOutSlides = HeldOutSlides,
        SlideSizePx = SlideSizePx,
        Seed = Seed,
    }.Validate();
}
