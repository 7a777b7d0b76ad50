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
//   embed PATH OUT MODEL [--patches N] [--batch B,B..] [--readers R,R..] [--device auto|cpu|cuda] [--precision fp32|fp16]
//         [--threads N] [--no-pinned] [--cuda-option KEY=VALUE].. [--alone-seconds S]
//                                tile the slide for the extractor MODEL (id or manifest), then for each batch size time
//                                ONNX Runtime alone on real patches preloaded in memory, and for each reader count the
//                                whole pipeline (read, preprocess, infer, write Parquet) over up to N patches; prints
//                                patches/s, per-stage time, which stage bounds it, and GPU memory where there is a GPU
//   model MODEL PATH.onnx [--fp16]  write the ONNX bytes an extractor runs (built-in ones too), optionally as float16
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
    ["model", var model, var path] => WriteModel(model, path, half: false),
    ["model", var model, var path, "--fp16"] => WriteModel(model, path, half: true),
    ["resnet50", var path] => ResNet50(path, truncated: false),
    ["resnet50", var path, "--truncated"] => ResNet50(path, truncated: true),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: generate PATH SIDE_PX | tile PATH OUT | read PATH OUT [MAX_PATCHES] | resnet50 PATH.onnx [--truncated] | " +
        "model MODEL PATH.onnx [--fp16] | embed PATH OUT MODEL [--patches N] [--batch B,..] [--readers R,..] [--device D] [--precision fp32|fp16] [--threads N] [--no-pinned] [--cuda-option K=V]..");
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
    EmbedSettings settings = EmbedSettings.Parse(rest);
    ExtractorManifest manifest = ExtractorCatalog.Find(model);
    var runtime = new ExtractorRuntimeOptions
    {
        Device = settings.Device, Precision = settings.Precision, IntraOpThreads = settings.IntraOpThreads,
        PinnedBuffers = settings.Pinned, CudaProviderOptions = settings.CudaOptions,
    };
    var clock = Stopwatch.StartNew();
    using OnnxFeatureExtractor extractor = OnnxFeatureExtractor.Open(manifest, runtime);
    Report("embed", $"{manifest.Id} (sha256 {extractor.Sha256[..12]}) opened on {extractor.Device} in {clock.Elapsed.TotalSeconds:0.0} s, pinned buffers {extractor.UsesPinnedBuffers}");

    var source = new SlideSource(SlideInputs.SlideIdFor(path), path);
    string folder = Path.Combine(output, source.SlideId);
    var tiler = new SlideTiler(EmbeddingJob.TilingFor(manifest));
    if (tiler.CompletedRecord(source, folder) is null) await tiler.TileAsync(source, folder);
    PatchTable table = await PatchTable.ReadAsync(Path.Combine(folder, PatchTable.FileName));
    PatchCoordinate[] patches = table.Patches.Take(settings.MaxPatches).ToArray();
    using ISlide slide = SlideReader.Open(path);
    Report("embed", $"{patches.Length} patches of {table.Geometry.PatchSizePx} px at {table.Geometry.TargetMpp} µm/px (level {table.Geometry.ReadLevel}) from {path}");

    foreach (int requested in settings.BatchSizes)
    {
        int batch = extractor.FixedBatchSize ?? requested;
        if (batch != requested) Report("embed", $"batch {requested} asked, but the model's batch axis is fixed at {batch}: using {batch}");
        double alone = OrtAlone(extractor, slide, table.Geometry, patches, batch, settings.AloneSeconds);
        Report("embed", $"batch {batch}: ONNX Runtime alone on preloaded tensors {alone:0.0} patches/s ({1000 / alone:0.000} ms/patch){GpuMemory()}");
        foreach (int readers in settings.ReaderThreads)
        {
            var options = new EmbeddingPipelineOptions { BatchSize = batch, ReaderThreads = readers };
            string features = Path.Combine(folder, "bench-" + FeatureTable.FileName);
            var info = new FeatureTableInfo(source.SlideId, manifest.Id, extractor.Sha256, manifest.Output.Dim, table.Geometry);
            EmbeddingStats stats;
            await using (FeatureTableWriter writer = await FeatureTableWriter.CreateAsync(features, info))
            {
                stats = await new EmbeddingPipeline(extractor, options).RunAsync(slide, table.Geometry, patches, writer);
                await writer.CompleteAsync();
            }
            double perPatchMs(TimeSpan t) => t.TotalMilliseconds / Math.Max(1, stats.Patches);
            double readLimit = readers * 1000 / perPatchMs(stats.ReadBusy), inferLimit = 1000 / perPatchMs(stats.InferenceBusy);
            Report("embed", $"batch {batch}, {readers} reader(s): pipeline slide -> Parquet {stats.PatchesPerSecond:0.0} patches/s in {stats.Wall.TotalSeconds:0.00} s " +
                $"= {stats.PatchesPerSecond / alone:0.00} of ONNX Runtime alone; per patch read+preprocess {perPatchMs(stats.ReadBusy):0.000} ms (summed over readers: " +
                $"the readers can feed {readLimit:0} patches/s), inference {perPatchMs(stats.InferenceBusy):0.000} ms (the model stage can take {inferLimit:0} patches/s), " +
                $"write {perPatchMs(stats.WriteBusy):0.000} ms; model idle {100 * stats.InferenceIdle / stats.Wall:0.0}% of the wall time; bound by {(readLimit < inferLimit ? "reading" : "inference")}; " +
                $"{new FileInfo(features).Length / 1e6:0.0} MB Parquet{GpuMemory()}");
            File.Delete(features);
        }
    }
    return 0;
}

/// <summary>
/// ONNX Runtime alone: batches cut from a few batches' worth of real patches, read and preprocessed in advance into
/// the extractor's own buffers, run back to back for about <paramref name="seconds"/> after a warm-up.
/// </summary>
static double OrtAlone(OnnxFeatureExtractor extractor, ISlide slide, PatchGridGeometry geometry, PatchCoordinate[] patches, int batch, double seconds)
{
    ExtractorManifest manifest = extractor.Manifest;
    int perPatch = 3 * manifest.Input.SizePx * manifest.Input.SizePx, preloaded = 2;
    var pixels = new Memory<float>[preloaded];
    using (var reader = new PatchReader(slide, geometry))
    using (var preprocessor = new PatchPreprocessor(manifest.Input))
    using (var patch = new Mat())
    {
        for (int b = 0; b < preloaded; b++)
        {
            pixels[b] = extractor.AllocateBuffer(batch * perPatch);
            for (int i = 0; i < batch; i++)
            {
                PatchCoordinate p = patches[(b * batch + i) % patches.Length];
                reader.Read(p.Level0X, p.Level0Y, patch);
                preprocessor.Write(patch, pixels[b].Span.Slice(i * perPatch, perPatch));
            }
        }
    }
    Memory<float> embeddings = extractor.AllocateBuffer(batch * manifest.Output.Dim);
    for (int w = 0; w < 3; w++) extractor.Run(pixels[w % preloaded], batch, embeddings); // warm-up: allocation, cuDNN algorithm search
    int runs = 0;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed.TotalSeconds < seconds || runs < 3) extractor.Run(pixels[runs++ % preloaded], batch, embeddings);
    return runs * batch / clock.Elapsed.TotalSeconds;
}

/// <summary>", GPU memory N MiB" from nvidia-smi where there is one; nothing elsewhere.</summary>
static string GpuMemory()
{
    try
    {
        using var smi = Process.Start(new ProcessStartInfo("nvidia-smi", "--query-gpu=memory.used --format=csv,noheader,nounits") { RedirectStandardOutput = true, RedirectStandardError = true });
        if (smi is null) return "";
        string used = smi.StandardOutput.ReadToEnd().Trim();
        smi.WaitForExit();
        return smi.ExitCode == 0 ? $", GPU memory used {used} MiB" : "";
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return ""; // no nvidia-smi: no GPU here
    }
}

static int WriteModel(string model, string path, bool half)
{
    ExtractorManifest manifest = ExtractorCatalog.Find(model);
    byte[] bytes = manifest.Id switch
    {
        ResNet18ImageNet.Id => ResNet18ImageNet.BuildModel(),
        HandETextureExtractor.Id => HandETextureExtractor.BuildModel(),
        _ => File.ReadAllBytes(ExtractorCatalog.OnnxPathFor(manifest)),
    };
    string sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
    if (half)
    {
        var proto = PathoFed.Features.Onnx.OnnxModelEdits.Parse(bytes);
        PathoFed.Features.Onnx.OnnxModelEdits.ConvertToFloat16(proto);
        bytes = Google.Protobuf.MessageExtensions.ToByteArray(proto);
    }
    File.WriteAllBytes(path, bytes);
    Report("model", $"{manifest.Id}{(half ? " as float16" : "")}: {bytes.Length / 1e6:0.0} MB written to {path}; sha256 of the float32 model {sha256}");
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
