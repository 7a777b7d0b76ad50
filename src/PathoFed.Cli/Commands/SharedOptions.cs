using System.CommandLine;
using PathoFed.Slides.Patching;
using PathoFed.Slides.Tiling;
using PathoFed.Slides.Tissue;

namespace PathoFed.Cli.Commands;

/// <summary>Options that several verbs share, defined once so that their names and defaults never drift apart.</summary>
internal static class SharedOptions
{
    public static Argument<string[]> Slides() => new("slides")
    {
        Description = "Slide files, folders (searched recursively) or manifest CSVs (columns: path, optional slide_id, mpp).",
        Arity = ArgumentArity.OneOrMore,
    };

    public static Option<string> Out() => new("--out", "-o") { Description = "Output folder; one sub-folder per slide.", Required = true };

    public static Option<int> Workers() => new("--workers", "-j")
    {
        Description = "Slides processed at once.",
        DefaultValueFactory = _ => Math.Max(1, Environment.ProcessorCount),
    };

    public static Option<double?> SlideMpp() => new("--slide-mpp")
    {
        Description = "µm/px of the slides when their files do not record it (a manifest's mpp column takes precedence).",
    };

    /// <summary>The patch-grid and tissue options of <c>tile</c> (and of every verb that tiles on the fly).</summary>
    public sealed class Tiling
    {
        public Option<double?> Mpp { get; } = new("--mpp") { Description = "Target µm per patch pixel (default 0.5 when --mag is not given)." };
        public Option<double?> Mag { get; } = new("--mag") { Description = "Target magnification, e.g. 20 (instead of --mpp)." };
        public Option<int> Patch { get; } = new("--patch") { Description = "Patch side in pixels at the target resolution.", DefaultValueFactory = _ => PatchGridOptions.Default.PatchSizePx };
        public Option<int> Overlap { get; } = new("--overlap") { Description = "Pixels shared by neighbouring patches.", DefaultValueFactory = _ => 0 };
        public Option<double> MinTissue { get; } = new("--min-tissue") { Description = "Minimum tissue fraction (0-1) for a patch to be kept.", DefaultValueFactory = _ => PatchGridOptions.Default.MinTissueFraction };
        public Option<string> TissueThreshold { get; } = new("--tissue-threshold") { Description = "Saturation threshold: 'otsu' or a number 0-255.", DefaultValueFactory = _ => "otsu" };
        public Option<bool> KeepPen { get; } = new("--keep-pen-marks") { Description = "Do not remove blue/green/black marker ink before finding tissue." };

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[] { Mpp, Mag, Patch, Overlap, MinTissue, TissueThreshold, KeepPen }) command.Add(option);
        }

        /// <exception cref="ArgumentException">Conflicting or out-of-range values.</exception>
        public TilingSettings Bind(ParseResult parse)
        {
            double? mpp = parse.GetValue(Mpp), mag = parse.GetValue(Mag);
            if (mpp is not null && mag is not null) throw new ArgumentException("Give --mpp or --mag, not both.");
            string threshold = parse.GetValue(TissueThreshold)!;
            int? fixedThreshold = threshold.Equals("otsu", StringComparison.OrdinalIgnoreCase) ? null
                : int.TryParse(threshold, out int t) ? t
                : throw new ArgumentException($"--tissue-threshold must be 'otsu' or a number 0-255, not '{threshold}'.");

            var grid = new PatchGridOptions
            {
                TargetMpp = mag is null ? mpp ?? PatchGridOptions.Default.TargetMpp : null,
                TargetMagnification = mag,
                PatchSizePx = parse.GetValue(Patch),
                OverlapPx = parse.GetValue(Overlap),
                MinTissueFraction = parse.GetValue(MinTissue),
            }.Validate();
            var tissue = new TissueDetectionOptions { SaturationThreshold = fixedThreshold, RemovePenMarks = !parse.GetValue(KeepPen) }.Validate();
            return new TilingSettings(grid, tissue);
        }
    }
}
