// MIL training benchmark: ABMIL training throughput on slide-sized bags, and the GFLOP/s its GEMMs reach against OpenBLAS's
// own sgemm on the same shapes. Prints numbers; not a test.
//   PathoFed.Benchmarks.Mil [instances=10000] [dim=1024] [encoder=256] [attention=128] [bags=4] [epochs=2]
using System.Diagnostics;
using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Numerics;
using PathoFed.Mil.Training;

var instances = ArgOr(0, 10_000);
var dim = ArgOr(1, 1024);
var encoder = ArgOr(2, 256);
var attention = ArgOr(3, 128);
var bagCount = ArgOr(4, 4);
var epochs = ArgOr(5, 2);

Console.WriteLine($"ABMIL training, bags of {instances:N0} x {dim} floats, encoder {encoder}, attention {attention}, {bagCount} bags x {epochs} epochs");
Console.WriteLine($"{Environment.ProcessorCount} cores; OpenBLAS default threads {Blas.ThreadCount}");

var rng = new Random(1);
var examples = new List<MilExample>(bagCount);
for (var b = 0; b < bagCount; b++)
{
    var values = new float[instances * dim];
    for (var i = 0; i < values.Length; i++) values[i] = rng.NextSingle() * 2f - 1f;
    examples.Add(new MilExample(new MilBag($"bench-{b}", instances, dim, values), MilTarget.Class(b % 2), $"p{b}"));
}

var gemmFlopsPerBag = AbmilTrainingGemmFlops(instances, dim, encoder, attention);
Console.WriteLine($"GEMM work per training bag (forward + backward): {gemmFlopsPerBag / 1e9:F2} GFLOP");
Console.WriteLine();
Console.WriteLine("threads | sgemm enc fwd n x D x H | sgemm dW H x D x n | sgemm attn n x H x L | train bags/s | patches/s | train GFLOP/s | % of sgemm");

foreach (var threads in new[] { 1, Environment.ProcessorCount }.Distinct())
{
    Blas.ThreadCount = threads;
    var forward = SgemmGflops(false, true, instances, encoder, dim);
    var weightGradient = SgemmGflops(true, false, encoder, dim, instances);
    var attentionShape = SgemmGflops(false, true, instances, attention, encoder);
    // OpenBLAS's rate on the training step's own GEMMs, weighted by their share of the FLOPs.
    var encoderFlops = 4.0 * instances * dim * encoder;
    var attentionFlops = 12.0 * instances * encoder * attention;
    var blasReference = (encoderFlops + attentionFlops) / (encoderFlops / 2 / forward + encoderFlops / 2 / weightGradient + attentionFlops / attentionShape);

    var options = new MilTrainingOptions
    {
        Head = new MilHeadConfig { Kind = MilHeadKind.Abmil, Task = MilTask.Classify, InputDim = dim, EncoderDim = encoder, AttentionDim = attention },
        BatchSize = 2, Seed = 1, BlasThreads = threads,
    };
    var head = MilHeads.Create(options.Head, 1);
    MilTrainer.TrainEpochs(head, examples, 1, options); // warm-up: JIT and buffers
    var watch = Stopwatch.StartNew();
    MilTrainer.TrainEpochs(head, examples, epochs, options);
    var seconds = watch.Elapsed.TotalSeconds;
    var bagsPerSecond = bagCount * epochs / seconds;
    var trainGflops = bagsPerSecond * gemmFlopsPerBag / 1e9;
    Console.WriteLine($"{threads,7} | {forward,17:F1} GFLOP/s | {weightGradient,12:F1} GFLOP/s | {attentionShape,14:F1} GFLOP/s | {bagsPerSecond,12:F2} | {bagsPerSecond * instances,9:N0} | {trainGflops,13:F1} | {100 * trainGflops / blasReference,9:F0}%");
}

int ArgOr(int index, int fallback) => args.Length > index && int.TryParse(args[index], out var value) ? value : fallback;

// GEMM FLOPs of one ABMIL training bag, n instances of D features, encoder H, attention L: encoder forward and weight
// gradient (no input gradient for raw features) 2·2nDH; V and U forward, weight and input gradients 3·2·2nHL. The GEMV
// and elementwise work (pooling, softmax, gating) is O(n(H+L)) and left out.
static double AbmilTrainingGemmFlops(int n, int d, int h, int l) => 4.0 * n * d * h + 12.0 * n * h * l;

static double SgemmGflops(bool transposeA, bool transposeB, int m, int n, int k)
{
    var rng = new Random(2);
    var a = new float[m * k];
    var b = new float[k * n];
    var c = new float[m * n];
    for (var i = 0; i < a.Length; i++) a[i] = rng.NextSingle();
    for (var i = 0; i < b.Length; i++) b[i] = rng.NextSingle();
    Blas.Gemm(transposeA, transposeB, m, n, k, 1f, a, b, 0f, c);
    var repeats = 0;
    var watch = Stopwatch.StartNew();
    while (watch.Elapsed.TotalSeconds < 1.0 || repeats < 3)
    {
        Blas.Gemm(transposeA, transposeB, m, n, k, 1f, a, b, 0f, c);
        repeats++;
    }

    return 2.0 * m * n * k * repeats / watch.Elapsed.TotalSeconds / 1e9;
}
