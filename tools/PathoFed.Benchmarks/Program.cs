using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using PathoFed.Benchmarks;
using PathoFed.Features.Extractors;
using PathoFed.Features.Pipeline;
using PathoFed.Features.Storage;
using PathoFed.Slides;
using PathoFed.Slides.OpenSlide;
using PathoFed.Slides.Patching;
using PathoFed.Slides.Synthetic;
using PathoFed.Slides.Tiling;

// Tiling benchmarks that print numbers (never timed unit tests). Each step runs in its own process so that peak
// RSS (VmHWM) belongs to that step alone; tools/bench-tiling.sh runs them in order.
//   generate PATH SIDE_PX        write a synthetic Aperio slide, SIDE_PX square, 0.5 µm/px
//   tile PATH OUT                tile it (tissue + grid + outputs); prints seconds, patches, peak RSS
//   read PATH OUT [MAX_PATCHES]  read+decode patches of the tiled grid, 1 thread then all cores; patches/s
//   embed PATH OUT MODEL [MAX_PATCHES [BATCH [READERS [THREADS]]]]
//                                tile the slide for the extractor MODEL (id or manifest), then embed up to MAX_PATCHES
//                                patches twice: ONNX Runtime alone on tensors preloaded in memory, and the whole
//                                pipeline (read, preprocess, infer, write Parquet); prints patches/s and per-stage time
//   resnet50 PATH.onnx [--truncated]  write a random-weight ResNet-50 (or CLAM's layer3 truncation) as ONNX, run it in
//                                ONNX Runtime on the CPU; ms per batch of 1 and of 8
SlideNativeLibraries.Preload();
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;

return args switch
{
    ["generate", var path, var side] => Generate(path, long.Parse(side, CultureInfo.InvariantCulture)),
    ["tile", var path, var output] => await TileAsync(path, output),
    ["read", var path, var output] => await ReadAsync(path, output, int.MaxValue),
    ["read", var path, var output, var max] => await ReadAsync(path, output, int.Parse(max, CultureInfo.InvariantCulture)),
    ["embed", var path, var output, var model, .. var rest] => await EmbedAsync(path, output, model, rest),
    ["resnet50", var path] => ResNet50(path, truncated: false),
    ["resnet50", var path, "--truncated"] => ResNet50(path, truncated: true),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: generate PATH SIDE_PX | tile PATH OUT | read PATH OUT [MAX_PATCHES] | resnet50 PATH.onnx [--truncated] | embed PATH OUT MODEL [MAX_PATCHES [BATCH [READERS [THREADS]]]]");
    return 2;
}

static int Generate(string path, long side)
{
    var clock = Stopwatch.StartNew();
    SyntheticSlideWriter.Write(path, SyntheticSlideSpec.WithRandomTissue(side, side, seed: 7));
    Report("generate", $"{side} x {side} px in {clock.Elapsed.TotalSeconds:0.0} s, {new FileInfo(path).Length / 1e6:0.0} MB");
    return 0;
}

static async Task<int> TileAsync(string path, string output)
{
    var clock = Stopwatch.StartNew();
    var source = new SlideSource(SlideInputs.SlideIdFor(path), path);
    SlideRecord record = await new SlideTiler(TilingSettings.Default).TileAsync(source, Path.Combine(output, source.SlideId));
    Report("tile", $"{record.Slide.Level0Width} x {record.Slide.Level0Height} px, {record.Slide.LevelCount} levels: " +
        $"{record.Patches} patches of {record.CandidatePatches} positions, tissue {record.Tissue.AreaMm2:0.0} mm^2, {clock.Elapsed.TotalSeconds:0.00} s");
    return 0;
}

static async Task<int> ReadAsync(string path, string output, int maxPatches)
{
    PatchTable table = await PatchTable.ReadAsync(Path.Combine(output, SlideInputs.SlideIdFor(path), PatchTable.FileName));
    PatchCoordinate[] patches = table.Patches.Take(maxPatches).ToArray();
    using ISlide slide = SlideReader.Open(path);

    double single = Measure(slide, table.Geometry, patches, threads: 1);
    double all = Measure(slide, table.Geometry, patches, threads: Environment.ProcessorCount);
    Report("read", $"{patches.Length} patches of {table.Geometry.PatchSizePx} px at {table.Geometry.TargetMpp} µm/px from level {table.Geometry.ReadLevel}: " +
        $"1 thread {single:0} patches/s, {Environment.ProcessorCount} threads {all:0} patches/s ({all / single:0.00}x)");
    return 0;
}

static double Measure(ISlide slide, PatchGridGeometry geometry, PatchCoordinate[] patches, int threads)
{
    long checksum = 0;
    var clock = Stopwatch.StartNew();
    Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
    {
        using var reader = new PatchReader(slide, geometry);
        using var patch = new Mat();
        long local = 0;
        for (int i = t; i < patches.Length; i += threads)
        {
            reader.Read(patches[i].Level0X, patches[i].Level0Y, patch);
            local += patch.At<Vec3b>(0, 0).Item0; // touch the pixels so nothing is optimised away
        }
        Interlocked.Add(ref checksum, local);
    });
    return patches.Length / clock.Elapsed.TotalSeconds;
}

static int ResNet50(string path, bool truncated)
{
    var clock = Stopwatch.StartNew();
    ResNetOnnx.Summary model = ResNetOnnx.Build(truncated);
    File.WriteAllBytes(path, model.Model);
    Report("resnet50", $"{(truncated ? "truncated after layer3" : "full")}: {model.Parameters / 1e6:0.00} M parameters, " +
        $"{model.MultiplyAdds / 1e9:0.00} G multiply-adds per {ResNetOnnx.InputSizePx} px image, {model.Model.Length / 1e6:0.0} MB written to {path} " +
        $"in {clock.Elapsed.TotalSeconds:0.0} s");

    clock.Restart();
    using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
    using var session = new InferenceSession(path, options);
    Report("resnet50", $"ONNX Runtime loaded it in {clock.Elapsed.TotalSeconds:0.0} s, {Environment.ProcessorCount} cores");
    foreach ((int batch, int runs) in new[] { (1, 10), (8, 3) })
    {
        const int size = ResNetOnnx.InputSizePx;
        var pixels = new float[batch * 3 * size * size];
        var random = new Random(batch);
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)(random.NextDouble() * 4 - 2); // about ImageNet-normalised
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [batch, 3, size, size]);
        using var runOptions = new RunOptions();

        float[] embedding = RunResNet(session, runOptions, input); // warm-up: the first run allocates
        if (embedding.Length != batch * model.EmbeddingDim || !embedding.All(float.IsFinite))
        {
            Console.Error.WriteLine($"resnet50: batch {batch} gave {embedding.Length} values (expected {batch * model.EmbeddingDim}), finite: {embedding.All(float.IsFinite)}");
            return 1;
        }
        clock.Restart();
        for (int r = 0; r < runs; r++) RunResNet(session, runOptions, input);
        double ms = clock.Elapsed.TotalMilliseconds / runs;
        Report("resnet50", $"batch {batch}: {ms:0} ms per batch, {ms / batch:0} ms per image ({runs} runs after a warm-up); " +
            $"embedding [{batch}, {model.EmbeddingDim}], mean |x| {embedding.Average(MathF.Abs):0.000}");
    }
    return 0;
}

static async Task<int> EmbedAsync(string path, string output, string model, string[] rest)
{
    int Arg(int index, int fallback) => rest.Length > index ? int.Parse(rest[index], CultureInfo.InvariantCulture) : fallback;
    int maxPatches = Arg(0, 2000);
    var options = new EmbeddingPipelineOptions { BatchSize = Arg(1, 32), ReaderThreads = Arg(2, EmbeddingPipelineOptions.Default.ReaderThreads) };
    ExtractorManifest manifest = ExtractorCatalog.Find(model);
    using OnnxFeatureExtractor extractor = OnnxFeatureExtractor.Open(manifest, new ExtractorRuntimeOptions { Device = ExecutionDevice.Cpu, IntraOpThreads = rest.Length > 3 ? Arg(3, 0) : null });

    var source = new SlideSource(SlideInputs.SlideIdFor(path), path);
    string folder = Path.Combine(output, source.SlideId);
    var tiler = new SlideTiler(EmbeddingJob.TilingFor(manifest));
    if (tiler.CompletedRecord(source, folder) is null) await tiler.TileAsync(source, folder);
    PatchTable table = await PatchTable.ReadAsync(Path.Combine(folder, PatchTable.FileName));
    PatchCoordinate[] patches = table.Patches.Take(maxPatches).ToArray();
    using ISlide slide = SlideReader.Open(path);
    Report("embed", $"{manifest.Id} on {extractor.Device}, batch {options.BatchSize}, {options.ReaderThreads} reader thread(s), {patches.Length} patches of {table.Geometry.PatchSizePx} px");

    // ONNX Runtime alone: the same number of batches over a few batches' worth of patches preprocessed in advance.
    int batch = options.BatchSize, perPatch = 3 * manifest.Input.SizePx * manifest.Input.SizePx, preloaded = Math.Min(4, (patches.Length + batch - 1) / batch);
    var pixels = new float[preloaded][];
    using (var reader = new PatchReader(slide, table.Geometry))
    using (var preprocessor = new PatchPreprocessor(manifest.Input))
    using (var patch = new Mat())
    {
        for (int b = 0; b < preloaded; b++)
        {
            pixels[b] = new float[batch * perPatch];
            for (int i = 0; i < batch; i++)
            {
                PatchCoordinate p = patches[(b * batch + i) % patches.Length];
                reader.Read(p.Level0X, p.Level0Y, patch);
                preprocessor.Write(patch, pixels[b].AsSpan(i * perPatch, perPatch));
            }
        }
    }
    var embeddings = new float[batch * manifest.Output.Dim];
    extractor.Run(pixels[0], batch, embeddings); // warm-up
    var clock = Stopwatch.StartNew();
    for (int done = 0, b = 0; done < patches.Length; done += batch, b++) extractor.Run(pixels[b % preloaded], Math.Min(batch, patches.Length - done), embeddings);
    double aloneRate = patches.Length / clock.Elapsed.TotalSeconds;
    Report("embed", $"ONNX Runtime alone on preloaded tensors: {aloneRate:0.0} patches/s ({1000 / aloneRate:0.00} ms/patch)");

    string features = Path.Combine(folder, "bench-" + FeatureTable.FileName);
    var info = new FeatureTableInfo(source.SlideId, manifest.Id, extractor.Sha256, manifest.Output.Dim, table.Geometry);
    EmbeddingStats stats;
    await using (FeatureTableWriter writer = await FeatureTableWriter.CreateAsync(features, info))
    {
        stats = await new EmbeddingPipeline(extractor, options).RunAsync(slide, table.Geometry, patches, writer);
        await writer.CompleteAsync();
    }
    double perPatchMs(TimeSpan t) => t.TotalMilliseconds / Math.Max(1, stats.Patches);
    Report("embed", $"pipeline slide -> Parquet: {stats.PatchesPerSecond:0.0} patches/s in {stats.Wall.TotalSeconds:0.00} s, " +
        $"{100 * (1 - stats.PatchesPerSecond / aloneRate):0.0}% below ONNX Runtime alone; per patch: read+preprocess {perPatchMs(stats.ReadBusy):0.00} ms (summed over readers), " +
        $"inference {perPatchMs(stats.InferenceBusy):0.00} ms, write {perPatchMs(stats.WriteBusy):0.000} ms; model idle {100 * stats.InferenceIdle / stats.Wall:0.0}% of the wall time; " +
        $"{new FileInfo(features).Length / 1e6:0.0} MB Parquet");
    File.Delete(features);
    return 0;
}

static float[] RunResNet(InferenceSession session, RunOptions runOptions, OrtValue input)
{
    using IDisposableReadOnlyCollection<OrtValue> outputs =
        session.Run(runOptions, [ResNetOnnx.InputName], [input], [ResNetOnnx.OutputName]);
    return outputs[0].GetTensorDataAsSpan<float>().ToArray(); // copied out: the span lives in ONNX Runtime's buffer
}

static void Report(string step, string what) =>
    Console.WriteLine($"{step}: {what}; peak RSS {PeakRssMiB():0} MiB");

static double PeakRssMiB()
{
    string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
    return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
}
