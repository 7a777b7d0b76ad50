namespace PathoFed.Heatmaps.Tests.Batch;

/// <summary>Clearing what atomic writes killed before their rename left behind, and nothing else.</summary>
public sealed class AtomicFileLeftoversTests
{
    private static string Temp(string folder, string name) => Path.Combine(folder, $".tmp-{Guid.NewGuid():N}-{name}");

    private static string Touch(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "partial");
        return path;
    }

    [Fact]
    public void RemoveLeftoversOf_DeletesOnlyThatFilesTemporaries()
    {
        using var temp = new TempFolder();
        string mine = Touch(Temp(temp.Path, "a.json"));
        string otherSlide = Touch(Temp(temp.Path, "x-a.json")); // ends in "-a.json" too, but belongs to slide "x-a"
        string notOurs = Touch(temp.File(".tmp-not-a-guid-a.json"));
        string target = Touch(temp.File("a.json"));

        AtomicFile.RemoveLeftoversOf(target);

        Assert.False(File.Exists(mine));
        Assert.All(new[] { otherSlide, notOurs, target }, path => Assert.True(File.Exists(path), path));
    }

    [Fact]
    public void RemoveLeftoversIn_DeletesTemporariesAtAnyDepth_AndKeepsEverythingElse()
    {
        using var temp = new TempFolder();
        string[] leftovers = [Touch(Temp(temp.Path, "overlay.png")), Touch(Temp(temp.File("tiles"), "tiles.json"))];
        string[] kept = [Touch(temp.File("overlay.png")), Touch(temp.File("tiles/.tmp-notes.txt"))];

        AtomicFile.RemoveLeftoversIn(temp.Path);
        AtomicFile.RemoveLeftoversIn(temp.File("missing")); // nothing to do, no error

        Assert.All(leftovers, path => Assert.False(File.Exists(path), path));
        Assert.All(kept, path => Assert.True(File.Exists(path), path));
    }
}
