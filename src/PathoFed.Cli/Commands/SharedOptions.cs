using System.CommandLine;
using PathoFed.Features.Extractors;
using PathoFed.Features.Pipeline;
using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Training;
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

        /// <summary>True when the user gave any of these options (rather than leaving every default).</summary>
        public bool AnyGiven(ParseResult parse) =>
            new Option[] { Mpp, Mag, Patch, Overlap, MinTissue, TissueThreshold, KeepPen }.Any(o => parse.GetResult(o) is { Implicit: false });

        /// <param name="baseline">Grid values for the options not given (e.g. an extractor's µm/px and input size); null uses the option defaults.</param>
        /// <exception cref="ArgumentException">Conflicting or out-of-range values.</exception>
        public TilingSettings Bind(ParseResult parse, PatchGridOptions? baseline = null)
        {
            T Given<T>(Option<T> option, T fallback) => baseline is null || parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option)! : fallback;
            double? mpp = parse.GetValue(Mpp), mag = parse.GetValue(Mag);
            if (mpp is not null && mag is not null) throw new ArgumentException("Give --mpp or --mag, not both.");
            string threshold = parse.GetValue(TissueThreshold)!;
            int? fixedThreshold = threshold.Equals("otsu", StringComparison.OrdinalIgnoreCase) ? null
                : int.TryParse(threshold, out int t) ? t
                : throw new ArgumentException($"--tissue-threshold must be 'otsu' or a number 0-255, not '{threshold}'.");

            PatchGridOptions defaults = baseline ?? PatchGridOptions.Default;
            var grid = new PatchGridOptions
            {
                TargetMpp = mag is null ? mpp ?? defaults.TargetMpp : null,
                TargetMagnification = mag ?? (mpp is null ? defaults.TargetMagnification : null),
                PatchSizePx = Given(Patch, defaults.PatchSizePx),
                OverlapPx = Given(Overlap, defaults.OverlapPx),
                MinTissueFraction = Given(MinTissue, defaults.MinTissueFraction),
            }.Validate();
            var tissue = new TissueDetectionOptions { SaturationThreshold = fixedThreshold, RemovePenMarks = !parse.GetValue(KeepPen) }.Validate();
            return new TilingSettings(grid, tissue);
        }
    }

    /// <summary>The feature-extractor options of <c>embed</c> (and of every verb that embeds).</summary>
    /// <param name="modelOption">The extractor option's name: <c>--model</c> for <c>embed</c>, <c>--extractor</c> where --model names a MIL head.</param>
    public sealed class Extractor(string modelOption = "--model", params string[] modelAliases)
    {
        public Option<string> Model { get; } = new(modelOption, modelAliases is [] && modelOption == "--model" ? ["-m"] : modelAliases)
        {
            Description = "Extractor id (a manifest in models/ or $PATHOFED_MODELS), a manifest .json, or an .onnx with a manifest beside it.",
            DefaultValueFactory = _ => ExtractorCatalog.DefaultId,
        };
        public Option<string> Device { get; } = new("--device") { Description = "auto, cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto" };
        public Option<int> Batch { get; } = new("--batch") { Description = "Patches per inference batch.", DefaultValueFactory = _ => EmbeddingPipelineOptions.Default.BatchSize };
        public Option<int> Readers { get; } = new("--readers") { Description = "Threads reading and preprocessing patches.", DefaultValueFactory = _ => EmbeddingPipelineOptions.Default.ReaderThreads };
        public Option<int?> Threads { get; } = new("--threads") { Description = "Inference threads on CPU (default: one per core)." };

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[] { Model, Device, Batch, Readers, Threads }) command.Add(option);
        }

        /// <exception cref="ArgumentException">Out-of-range values.</exception>
        /// <exception cref="ModelLoadException">The extractor cannot be found or its manifest is invalid.</exception>
        /// <param name="defaultModel">The extractor when the option is not given (e.g. the one a MIL head was trained on); null uses the option's default.</param>
        public (ExtractorManifest Manifest, ExtractorRuntimeOptions Runtime, EmbeddingPipelineOptions Pipeline) Bind(ParseResult parse, string? defaultModel = null)
        {
            int? threads = parse.GetValue(Threads);
            if (threads is < 1) throw new ArgumentException($"--threads must be at least 1, not {threads}.");
            int batch = parse.GetValue(Batch), readers = parse.GetValue(Readers);
            if (batch is < 1 or > 4096) throw new ArgumentException($"--batch must be 1-4096, not {batch}.");
            if (readers < 1) throw new ArgumentException($"--readers must be at least 1, not {readers}.");
            var runtime = new ExtractorRuntimeOptions { Device = ExecutionDevice.Parse(parse.GetValue(Device)!), IntraOpThreads = threads };
            var pipeline = new EmbeddingPipelineOptions { BatchSize = batch, ReaderThreads = readers }.Validate();
            string model = parse.GetResult(Model) is { Implicit: false } || defaultModel is null ? parse.GetValue(Model)! : defaultModel;
            return (ExtractorCatalog.Find(model), runtime, pipeline);
        }
    }

    /// <summary>MIL head and optimiser options of <c>train</c> (and of federated plans' defaults).</summary>
    public sealed class MilTraining
    {
        private static readonly MilTrainingOptions Defaults = new();
        private static readonly MilHeadConfig HeadDefaults = new() { Kind = MilHeadKind.Abmil, Task = MilTask.Classify, InputDim = 1 };

        public Option<int> Epochs { get; } = new("--epochs") { Description = "Maximum epochs (early stopping on a validation split ends sooner).", DefaultValueFactory = _ => Defaults.Epochs };
        public Option<float> LearningRate { get; } = new("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => Defaults.LearningRate };
        public Option<float> WeightDecay { get; } = new("--weight-decay") { Description = "AdamW decoupled weight decay.", DefaultValueFactory = _ => Defaults.WeightDecay };
        public Option<int> BagsPerStep { get; } = new("--bags-per-step") { Description = "Bags per optimiser step.", DefaultValueFactory = _ => Defaults.BatchSize };
        public Option<int> MaxInstances { get; } = new("--max-patches") { Description = "Random patches per bag per step in training (0 = all).", DefaultValueFactory = _ => Defaults.MaxInstancesPerBag };
        public Option<int> Patience { get; } = new("--patience") { Description = "Epochs without a better validation loss before stopping.", DefaultValueFactory = _ => Defaults.Patience };
        public Option<float> Dropout { get; } = new("--dropout") { Description = "Dropout rate.", DefaultValueFactory = _ => HeadDefaults.Dropout };
        public Option<int> EncoderDim { get; } = new("--encoder-dim") { Description = "Instance encoder width (0: none, for abmil/chowder).", DefaultValueFactory = _ => HeadDefaults.EncoderDim };
        public Option<int> AttentionDim { get; } = new("--attention-dim") { Description = "ABMIL attention width.", DefaultValueFactory = _ => HeadDefaults.AttentionDim };
        public Option<int> Extremes { get; } = new("--extremes") { Description = "Chowder: top and bottom tiles kept (R).", DefaultValueFactory = _ => HeadDefaults.ExtremeCount };
        public Option<int> Seed { get; } = new("--seed") { Description = "Seed for folds, initialisation, shuffling and dropout: same seed, same model.", DefaultValueFactory = _ => 0 };

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[] { Epochs, LearningRate, WeightDecay, BagsPerStep, MaxInstances, Patience, Dropout, EncoderDim, AttentionDim, Extremes, Seed }) command.Add(option);
        }

        /// <summary>Options for <paramref name="kind"/> on <paramref name="task"/>; the input width and class count are set from the data later.</summary>
        public MilTrainingOptions Bind(ParseResult parse, MilHeadKind kind, MilTask task) => new()
        {
            Head = HeadDefaults with
            {
                Kind = kind,
                Task = task,
                Dropout = parse.GetValue(Dropout),
                EncoderDim = parse.GetValue(EncoderDim),
                AttentionDim = parse.GetValue(AttentionDim),
                ExtremeCount = parse.GetValue(Extremes),
            },
            Epochs = parse.GetValue(Epochs),
            LearningRate = parse.GetValue(LearningRate),
            WeightDecay = parse.GetValue(WeightDecay),
            BatchSize = parse.GetValue(BagsPerStep),
            MaxInstancesPerBag = parse.GetValue(MaxInstances),
            Patience = parse.GetValue(Patience),
            Seed = parse.GetValue(Seed),
        };
    }

    /// <summary>The labelled data set of <c>train</c> and <c>fed simulate</c>: features folder, labels CSV and task.</summary>
    public sealed class MilData
    {
        public Option<string> Features { get; } = new("--features") { Description = "Folder of <slide>/features.parquet (from 'pathofed embed').", Required = true };
        public Option<string> Labels { get; } = new("--labels") { Description = "CSV: slide_id, patient_id, and label (classify) or time + event (survival); optional site.", Required = true };
        public Option<MilTask> Task { get; } = new("--task") { Description = "classify (mutation status...) or survival (relapse).", Required = true };

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[] { Features, Labels, Task }) command.Add(option);
        }

        /// <exception cref="PathoFed.Mil.MilException">Bad labels, or features that cannot form one data set.</exception>
        public Task<MilDataset> LoadAsync(ParseResult parse, CancellationToken cancellationToken) =>
            MilDatasetLoader.LoadAsync(parse.GetValue(Features)!, parse.GetValue(Labels)!, parse.GetValue(Task), cancellationToken: cancellationToken);
    }
}
