using PathoFed.Features.Storage;
using PathoFed.Mil.Data;

namespace PathoFed.Mil.Tests.Data;

public sealed class MilDatasetLoaderTests
{
    private const string ClassifyHeader = "slide_id,patient_id,label,site\n";

    [Fact]
    public async Task Load_LabelledSlides_ExamplesSortedWithBagsTargetsAndOrigin()
    {
        using var temp = new TempFolder();
        foreach ((string id, int patches) in new[] { ("s3", 1), ("s1", 2), ("s2", 4) })
        {
            await FeatureFolders.WriteAsync(temp.Path, id, patches, value: i => i + 100 * id[1]);
        }
        MilLabels labels = LabelsCsv.Parse(ClassifyHeader + "s2,p1,MSS,A\ns3,p2,MSI,B\ns1,p1,MSI,A\n", "labels.csv", MilTask.Classify);

        MilDataset dataset = await MilDatasetLoader.LoadAsync(temp.Path, labels, maxConcurrency: 2);

        Assert.Equal(["s1", "s2", "s3"], dataset.Examples.Select(e => e.SlideId));
        Assert.Equal([2, 4, 1], dataset.Examples.Select(e => e.Bag.InstanceCount));
        Assert.Equal([0, 1, 0], dataset.Examples.Select(e => e.Target.ClassIndex));
        Assert.Equal(["p1", "p1", "p2"], dataset.Examples.Select(e => e.PatientId));
        Assert.Equal(["A", "A", "B"], dataset.Examples.Select(e => e.Site));
        Assert.Equal([ '2' * 100 + 3f, '2' * 100 + 4, '2' * 100 + 5], dataset.Examples[1].Bag.Instance(1).ToArray());
        Assert.Equal(["MSI", "MSS"], dataset.ClassNames);
        Assert.Equal(new FeatureOrigin(FeatureFolders.ExtractorId, FeatureFolders.ExtractorSha256, 3), dataset.Features);
        Assert.Equal(3, dataset.EmbeddingDim);
        Assert.Empty(dataset.Skipped);
    }

    [Fact]
    public async Task Load_UnusableSlides_SkippedWithReasons()
    {
        using var temp = new TempFolder();
        await FeatureFolders.WriteAsync(temp.Path, "good", 2);
        await FeatureFolders.WriteAsync(temp.Path, "unlabelled", 2);
        await FeatureFolders.WriteAsync(temp.Path, "empty", 0);
        await FeatureFolders.WriteAsync(temp.Path, "nan", 3, value: i => i == 7 ? float.NaN : i);
        await FeatureFolders.WriteAsync(temp.Path, "inf", 3, value: i => i == 1 ? float.PositiveInfinity : i);
        Directory.CreateDirectory(Path.Combine(temp.Path, "unfinished"));
        Directory.CreateDirectory(Path.Combine(temp.Path, "corrupt"));
        File.WriteAllText(Path.Combine(temp.Path, "corrupt", FeatureTable.FileName), "not parquet");
        MilLabels labels = LabelsCsv.Parse(ClassifyHeader + "good,p1,a,\nempty,p2,b,\nnan,p3,b,\ninf,p4,a,\nunfinished,p5,a,\nmissing,p6,b,\ncorrupt,p7,a,\n",
            "labels.csv", MilTask.Classify);

        MilDataset dataset = await MilDatasetLoader.LoadAsync(temp.Path, labels);

        Assert.Equal(["good"], dataset.Examples.Select(e => e.SlideId));
        var reasons = dataset.Skipped.ToDictionary(s => s.SlideId, s => s.Reason);
        Assert.Equal(["corrupt", "empty", "inf", "missing", "nan", "unfinished", "unlabelled"], dataset.Skipped.Select(s => s.SlideId));
        Assert.Contains("has features but no label in 'labels.csv'", reasons["unlabelled"]);
        Assert.Contains("empty bag: the features table has 0 patches", reasons["empty"]);
        Assert.Contains("embedding of patch row 2 has a non-finite value (NaN)", reasons["nan"]);
        Assert.Contains("embedding of patch row 0 has a non-finite value (Infinity)", reasons["inf"]);
        Assert.Contains("has no features.parquet (feature extraction not run or not finished)", reasons["unfinished"]);
        Assert.Contains($"no features folder '{Path.Combine(temp.Path, "missing")}'", reasons["missing"]);
        Assert.Contains("features.parquet' cannot be read", reasons["corrupt"]);
    }

    [Fact]
    public async Task Load_DifferentExtractors_NamesBothSlidesAndExtractors()
    {
        using var temp = new TempFolder();
        await FeatureFolders.WriteAsync(temp.Path, "a", 1);
        await FeatureFolders.WriteAsync(temp.Path, "b", 1, extractorId: "uni-v2", sha256: "ffee");
        MilLabels labels = LabelsCsv.Parse(ClassifyHeader + "a,p1,x,\nb,p2,y,\n", "labels.csv", MilTask.Classify);

        var error = await Assert.ThrowsAsync<MilException>(() => MilDatasetLoader.LoadAsync(temp.Path, labels));

        Assert.Contains($"slide 'a' from {FeatureFolders.ExtractorId} (sha256 {FeatureFolders.ExtractorSha256})", error.Message);
        Assert.Contains("slide 'b' from uni-v2 (sha256 ffee)", error.Message);
    }

    [Fact]
    public async Task Load_SameExtractorDifferentSha_Refused()
    {
        using var temp = new TempFolder();
        await FeatureFolders.WriteAsync(temp.Path, "a", 1);
        await FeatureFolders.WriteAsync(temp.Path, "b", 1, sha256: "0000");
        MilLabels labels = LabelsCsv.Parse(ClassifyHeader + "a,p1,x,\nb,p2,y,\n", "labels.csv", MilTask.Classify);

        var error = await Assert.ThrowsAsync<MilException>(() => MilDatasetLoader.LoadAsync(temp.Path, labels));
        Assert.Contains("come from different extractors", error.Message);
        Assert.Contains("(sha256 0000)", error.Message);
    }

    [Fact]
    public async Task Load_DifferentEmbeddingWidths_NamesBothSlidesAndWidths()
    {
        using var temp = new TempFolder();
        await FeatureFolders.WriteAsync(temp.Path, "a", 1, dim: 3);
        await FeatureFolders.WriteAsync(temp.Path, "b", 1, dim: 4);
        MilLabels labels = LabelsCsv.Parse(ClassifyHeader + "a,p1,x,\nb,p2,y,\n", "labels.csv", MilTask.Classify);

        var error = await Assert.ThrowsAsync<MilException>(() => MilDatasetLoader.LoadAsync(temp.Path, labels));
        Assert.Contains("different embedding widths: slide 'a' 3, slide 'b' 4", error.Message);
    }

    [Fact]
    public async Task Load_NoUsableSlide_SaysWhy()
    {
        using var temp = new TempFolder();
        await FeatureFolders.WriteAsync(temp.Path, "a", 0);
        MilLabels labels = LabelsCsv.Parse(ClassifyHeader + "a,p1,x,\nb,p2,y,\n", "labels.csv", MilTask.Classify);

        var error = await Assert.ThrowsAsync<MilException>(() => MilDatasetLoader.LoadAsync(temp.Path, labels));
        Assert.Contains($"No usable slide in features folder '{temp.Path}' (2 skipped: ", error.Message);
        Assert.Contains("a: empty bag", error.Message);
    }

    [Fact]
    public async Task Load_MissingFeaturesFolder_NamesIt()
    {
        using var temp = new TempFolder();
        MilLabels labels = LabelsCsv.Parse(ClassifyHeader + "a,p1,x,\nb,p2,y,\n", "labels.csv", MilTask.Classify);
        string missing = temp.File("features");
        var error = await Assert.ThrowsAsync<MilException>(() => MilDatasetLoader.LoadAsync(missing, labels));
        Assert.Contains($"Features folder '{missing}' does not exist", error.Message);
    }

    [Fact]
    public async Task Load_FromCsvPath_ReadsSurvivalTargets()
    {
        using var temp = new TempFolder();
        string features = temp.File("features");
        await FeatureFolders.WriteAsync(features, "a", 2);
        await FeatureFolders.WriteAsync(features, "b", 1);
        string csv = temp.File("labels.csv");
        File.WriteAllText(csv, "slide_id,patient_id,time,event\na,p1,10,1\nb,p2,4.5,0\n");

        MilDataset dataset = await MilDatasetLoader.LoadAsync(features, csv, MilTask.Survival);

        Assert.Equal(MilTask.Survival, dataset.Task);
        Assert.Equal([MilTarget.Survival(10, true), MilTarget.Survival(4.5, false)], dataset.Examples.Select(e => e.Target));
    }

    [Fact]
    public async Task LoadBags_AllOrRequested_SortedWithMissingListed()
    {
        using var temp = new TempFolder();
        await FeatureFolders.WriteAsync(temp.Path, "b", 2);
        await FeatureFolders.WriteAsync(temp.Path, "a", 1);
        await FeatureFolders.WriteAsync(temp.Path, "c", 0);

        MilBagSet all = await MilDatasetLoader.LoadBagsAsync(temp.Path);
        MilBagSet requested = await MilDatasetLoader.LoadBagsAsync(temp.Path, ["b", "zz"]);

        Assert.Equal(["a", "b"], all.Bags.Select(b => b.SlideId));
        Assert.Equal([new SkippedSlide("c", "empty bag: the features table has 0 patches")], all.Skipped);
        Assert.Equal(["b"], requested.Bags.Select(b => b.SlideId));
        Assert.Equal(["zz"], requested.Skipped.Select(s => s.SlideId));
        Assert.Equal(3, requested.Features.EmbeddingDim);
    }
}
