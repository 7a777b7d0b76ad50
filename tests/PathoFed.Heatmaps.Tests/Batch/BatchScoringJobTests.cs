using PathoFed.Features.Extractors;
using PathoFed.Heatmaps.Batch;
using PathoFed.Mil;
using PathoFed.Mil.Experiments;
using PathoFed.Slides.Batches;
using PathoFed.Slides.Tiling;

namespace PathoFed.Heatmaps.Tests.Batch;

/// <summary>The default extractor, opened once for the class.</summary>
public sealed class DefaultExtractorFixture : IDisposable
{
    public IFeatureExtractor Extractor { get; } =
        OnnxFeatureExtractor.Open(HandETextureExtractor.Manifest, new ExtractorRuntimeOptions { Device = ExecutionDevice.Cpu });

    public void Dispose() => Extractor.Dispose();
}

/// <summary>
/// <c>pathofed run</c>'s job on the real H&amp;E slide (listed under several ids by a manifest) and the bad slides: every
/// stage's outputs, agreement with the separate verbs, failures kept to their slide, resume, model changes and shards.
/// </summary>
public sealed class BatchScoringJobTests(DefaultExtractorFixture fixture) : IClassFixture<DefaultExtractorFixture>
{
    [Fact]
    public async Task Run_RealSlides_WritesEveryOutputAndScoresAsTheScoreVerbDoes()
    {
        using var temp = new TempFolder();
        string model = WriteModel(temp.File("model"), seed: 1);
        var job = new BatchScoringJob(fixture.Extractor, model, temp.File("out"));
        var reports = new List<SlideProgress>();

        BatchScoringResult result = await job.RunAsync(Manifest(temp, "a", "b"), new SynchronousRecorder(reports));

        Assert.Equal(2, result.Batch.Done);
        Assert.All(result.Published, r => Assert.True(r.Ok));
        foreach (string id in new[] { "a", "b" })
        {
            Assert.True(File.Exists(temp.File($"out/features/{id}/features.parquet")));
            Assert.True(File.Exists(temp.File($"out/patch-scores/{id}.parquet")));
            foreach (string name in HeatmapExport.FileNames) Assert.True(File.Exists(temp.File($"out/heatmaps/{id}/{name}")), name);
            Assert.True(File.Exists(temp.File($"out/state/{id}.json")));
        }
        Assert.Contains(reports, r => r is SlideProgress.Advanced { Fraction: > 0.5 });
        Assert.Equal(2, reports.Count(r => r is SlideProgress.Finished));
        Assert.Equal(["tiling", "embedding", "scoring", "heatmap"], result.Stages.Busy.Keys);
        Assert.All(result.Stages.Busy.Values, busy => Assert.InRange(busy, TimeSpan.FromTicks(1), result.Stages.Wall));

        // The same features scored by 'pathofed score' give the same table.
        ScoringResult separate = await MilScoring.ScoreAsync(TrainedHead.Load(model), temp.File("out/features"), temp.File("separate.csv"), patchScoresFolder: null);
        Assert.Equal(2, separate.Scored);
        Assert.Equal(File.ReadAllText(temp.File("separate.csv")), File.ReadAllText(temp.File("out/scores.csv")));
        Assert.Equal("slide_id,path,error\n", File.ReadAllText(temp.File("out/errors.csv")));
        Assert.Empty(Directory.EnumerateFiles(temp.File("out"), ".tmp-*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Run_BadSlides_FailAloneWithTheirReasonInBothTables()
    {
        using var temp = new TempFolder();
        var job = new BatchScoringJob(fixture.Extractor, WriteModel(temp.File("model"), seed: 1), temp.File("out"));
        SlideSource[] sources =
        [
            new("unreadable", TestSlides.Bad.UnreadableSvs),
            new("good", TestSlides.SmallHE),
            new("missing", temp.File("nowhere.svs")),
            new("dicom", TestSlides.Bad.Dicom),
        ];

        BatchScoringResult result = await job.RunAsync(sources);

        Assert.Equal([SlideOutcomeKind.Failed, SlideOutcomeKind.Done, SlideOutcomeKind.Failed, SlideOutcomeKind.Failed], result.Batch.Outcomes.Select(o => o.Kind));
        string errors = File.ReadAllText(temp.File("out/errors.csv"));
        Assert.Contains("unreadable.svs", errors);
        Assert.Contains("nowhere.svs", errors);
        Assert.Contains("boxes_0.dcm", errors);
        List<string[]> scores = Csv.Parse(File.ReadAllText(temp.File("out/scores.csv")));
        Assert.Equal(["dicom", "good", "missing", "unreadable"], scores.Skip(1).Select(row => row[0]));
        Assert.Equal(["failed", "ok", "failed", "failed"], scores.Skip(1).Select(row => row[3]));
        Assert.StartsWith("tiling failed:", scores[4][^1]);
        Assert.False(Directory.Exists(temp.File("out/heatmaps/unreadable")));
    }

    [Fact]
    public async Task Run_WithKnownLabels_ReportsEverySlide_AndAHeatmapThatCannotBeDrawnKeepsTheScore()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("out/heatmaps"));
        File.WriteAllText(temp.File("out/heatmaps/b"), "a file where slide b's heatmap folder belongs");
        var options = new BatchScoringOptions { TrueLabels = new Dictionary<string, string> { ["a"] = "tumour", ["b"] = "normal" }, Command = "pathofed run <test>" };
        var job = new BatchScoringJob(fixture.Extractor, WriteModel(temp.File("model"), seed: 1), temp.File("out"), options);

        BatchScoringResult result = await job.RunAsync([.. Manifest(temp, "a", "b"), new SlideSource("unreadable", TestSlides.Bad.UnreadableSvs)]);

        Assert.Equal([SlideOutcomeKind.Done, SlideOutcomeKind.Done, SlideOutcomeKind.Failed], result.Batch.Outcomes.Select(o => o.Kind));
        SlideRunRecord b = Assert.Single(result.Published, r => r.SlideId == "b");
        Assert.True(b.Ok);
        Assert.NotNull(b.PredictedClass);
        Assert.Contains("heatmaps/b", b.HeatmapError);
        List<string[]> errors = Csv.Parse(File.ReadAllText(temp.File("out/errors.csv")));
        Assert.Equal(["b", "unreadable"], errors.Skip(1).Select(row => row[0]));
        Assert.StartsWith("heatmap: ", errors[1][2]);

        string report = File.ReadAllText(temp.File("out/report.html"));
        foreach (string id in new[] { "a", "b", "unreadable" }) Assert.Contains($">{id}<", report);
        Assert.Contains("pathofed run &lt;test&gt;", report);
        Assert.Contains("No heatmap", report);
        Assert.Contains("tiling: ", report);
        Assert.Contains("AUC", report);
        Assert.Contains("data:image/jpeg;base64,", report); // slide a's overlay, embedded

        // Once the cause is gone, a re-run draws b's heatmap; a, finished, is left alone.
        File.Delete(temp.File("out/heatmaps/b"));
        BatchScoringResult again = await new BatchScoringJob(fixture.Extractor, WriteModel(temp.File("model"), seed: 1), temp.File("out"), options)
            .RunAsync([.. Manifest(temp, "a", "b")]);

        Assert.Equal([SlideOutcomeKind.Skipped, SlideOutcomeKind.Done], again.Batch.Outcomes.Select(o => o.Kind));
        SlideRunRecord redrawn = Assert.Single(again.Published, r => r.SlideId == "b");
        Assert.Null(redrawn.HeatmapError);
        Assert.Equal(b.PredictedClass, redrawn.PredictedClass);
        Assert.True(Directory.Exists(temp.File("out/heatmaps/b")));
        Assert.DoesNotContain(Csv.Parse(File.ReadAllText(temp.File("out/errors.csv"))).Skip(1), row => row[0] == "b");
    }

    [Fact]
    public async Task Run_AfterAKilledRun_ClearsItsTemporaryFiles()
    {
        using var temp = new TempFolder();
        var layout = new BatchScoringLayout(temp.File("out"));
        layout.Create();
        // What a run killed mid-write leaves: temporaries of slide a's files and of a shared table.
        string guid = Guid.NewGuid().ToString("N");
        string[] leftovers =
        [
            Path.Combine(layout.StateFolder, $".tmp-{guid}-a.json"),
            Path.Combine(layout.Heatmap("a"), $".tmp-{guid}-overlay.png"),
            Path.Combine(layout.PatchScoresFolder, $".tmp-{guid}-a.parquet"),
            Path.Combine(layout.Root, $".tmp-{guid}-scores.csv"),
        ];
        foreach (string path in leftovers)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "partial");
        }

        await new BatchScoringJob(fixture.Extractor, WriteModel(temp.File("model"), seed: 1), temp.File("out")).RunAsync([.. Manifest(temp, "a")]);

        Assert.Empty(Directory.EnumerateFiles(layout.Root, ".tmp-*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Run_Again_SkipsFinishedSlides_RedoesAMissingOne_AndEveryOneForAnotherModel()
    {
        using var temp = new TempFolder();
        string model = WriteModel(temp.File("model"), seed: 1);
        SlideSource[] sources = Manifest(temp, "a", "b");
        await new BatchScoringJob(fixture.Extractor, model, temp.File("out")).RunAsync(sources);
        string firstScores = File.ReadAllText(temp.File("out/scores.csv"));
        DateTime featuresWritten = File.GetLastWriteTimeUtc(temp.File("out/features/a/features.parquet"));

        BatchScoringResult again = await new BatchScoringJob(fixture.Extractor, model, temp.File("out")).RunAsync(sources);
        Assert.Equal(2, again.Batch.Skipped);
        Assert.Equal(firstScores, File.ReadAllText(temp.File("out/scores.csv")));

        // A run killed after b's heatmaps but before its record: only b is redone, from its finished embeddings.
        File.Delete(temp.File("out/state/b.json"));
        BatchScoringResult resumed = await new BatchScoringJob(fixture.Extractor, model, temp.File("out")).RunAsync(sources);
        Assert.Equal([SlideOutcomeKind.Skipped, SlideOutcomeKind.Done], resumed.Batch.Outcomes.Select(o => o.Kind));
        Assert.Equal(firstScores, File.ReadAllText(temp.File("out/scores.csv")));

        // Another model: every slide is scored again, reusing tiles and embeddings, and the table is that model's alone.
        string other = WriteModel(temp.File("other-model"), seed: 2);
        BatchScoringResult rescored = await new BatchScoringJob(fixture.Extractor, other, temp.File("out")).RunAsync(sources);
        Assert.Equal(2, rescored.Batch.Done);
        Assert.Equal(featuresWritten, File.GetLastWriteTimeUtc(temp.File("out/features/a/features.parquet")));
        Assert.NotEqual(firstScores, File.ReadAllText(temp.File("out/scores.csv")));
        Assert.All(Csv.Parse(File.ReadAllText(temp.File("out/scores.csv"))).Skip(1), row => Assert.Equal("other-model", row[1]));
    }

    [Fact]
    public async Task Run_CancelledMidway_LeavesNoPartialOutputAndResumes()
    {
        using var temp = new TempFolder();
        string model = WriteModel(temp.File("model"), seed: 1);
        SlideSource[] sources = Manifest(temp, "a", "b", "c");
        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress(p => { if (p is SlideProgress.Advanced { Source.SlideId: "b", Fraction: > 0.3 }) cancel.Cancel(); });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new BatchScoringJob(fixture.Extractor, model, temp.File("out")).RunAsync(sources, progress, cancel.Token));
        Assert.False(File.Exists(temp.File("out/state/c.json")));

        BatchScoringResult resumed = await new BatchScoringJob(fixture.Extractor, model, temp.File("out")).RunAsync(sources);
        Assert.Equal(0, resumed.Batch.Failed);
        Assert.Equal(3, resumed.Published.Count);
        Assert.Empty(Directory.EnumerateFiles(temp.File("out"), ".tmp-*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Shards_RunAtOnceIntoOneFolder_PublishTheSameTableAsOneRun()
    {
        using var temp = new TempFolder();
        string model = WriteModel(temp.File("model"), seed: 1);
        SlideSource[] sources = Manifest(temp, "a", "b", "c");
        await new BatchScoringJob(fixture.Extractor, model, temp.File("whole")).RunAsync(sources);

        Task<BatchScoringResult>[] shards =
        [
            .. Enumerable.Range(0, 2).Select(i => Task.Run(() =>
                new BatchScoringJob(fixture.Extractor, model, temp.File("sharded")).RunAsync(new SlideShard(i, 2).Select(sources)))),
        ];
        BatchScoringResult[] results = await Task.WhenAll(shards);

        Assert.Equal(["a", "c"], results[0].Batch.Outcomes.Select(o => o.Source.SlideId));
        Assert.Equal(["b"], results[1].Batch.Outcomes.Select(o => o.Source.SlideId));
        await new BatchScoringJob(fixture.Extractor, model, temp.File("sharded")).PublishAsync(); // what a last shard's publish sees
        Assert.Equal(File.ReadAllText(temp.File("whole/scores.csv")), File.ReadAllText(temp.File("sharded/scores.csv")));
    }

    [Fact]
    public void Job_ModelFromAnotherExtractor_IsRefusedBeforeAnySlide()
    {
        using var temp = new TempFolder();
        string model = WriteModel(temp.File("model"), seed: 1, extractorSha256: new string('0', 64));

        var error = Assert.Throws<MilException>(() => new BatchScoringJob(fixture.Extractor, model, temp.File("out")));
        Assert.Contains(HandETextureExtractor.Id, error.Message);
        Assert.False(Directory.Exists(temp.File("out")));
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("3/4", 3, 4)]
    public void Shard_Parse_ReadsIndexAndCount(string text, int index, int count) => Assert.Equal(new SlideShard(index, count), SlideShard.Parse(text));

    [Theory]
    [InlineData("4/4")]
    [InlineData("1")]
    [InlineData("-1/2")]
    [InlineData("1/0")]
    [InlineData("a/b")]
    public void Shard_Parse_RefusesBadValues(string text) =>
        Assert.Contains("0 <= i < n", Assert.Throws<ArgumentException>(() => SlideShard.Parse(text)).Message);

    [Fact]
    public void Shards_CoverTheListOnceAndInOrder()
    {
        SlideSource[] sources = [.. Enumerable.Range(0, 10).Select(i => new SlideSource($"s{i}", $"s{i}.svs"))];
        IReadOnlyList<SlideSource>[] parts = [.. Enumerable.Range(0, 3).Select(i => new SlideShard(i, 3).Select(sources))];

        Assert.Equal(sources.Select(s => s.SlideId).Order(), parts.SelectMany(p => p).Select(s => s.SlideId).Order());
        Assert.Equal(["s1", "s4", "s7"], parts[1].Select(s => s.SlideId));
    }

    /// <summary>The real H&amp;E slide under several ids, as a manifest lists it.</summary>
    private static SlideSource[] Manifest(TempFolder temp, params string[] ids)
    {
        File.WriteAllLines(temp.File("manifest.csv"), ["slide_id,path", .. ids.Select(id => $"{id},{TestSlides.SmallHE}")]);
        return [.. SlideInputs.Resolve([temp.File("manifest.csv")])];
    }

    private string WriteModel(string folder, int seed, string? extractorSha256 = null) =>
        UntrainedModels.WriteAbmil(folder, seed, extractorSha256 ?? fixture.Extractor.Sha256);

    private sealed class SynchronousProgress(Action<SlideProgress> report) : IProgress<SlideProgress>
    {
        public void Report(SlideProgress value) => report(value);
    }

    private sealed class SynchronousRecorder(List<SlideProgress> reports) : IProgress<SlideProgress>
    {
        public void Report(SlideProgress value)
        {
            lock (reports) reports.Add(value);
        }
    }
}
