using PathoFed.Features.Extractors;
using PathoFed.Features.Storage;

namespace PathoFed.Cli.Tests;

public sealed class EmbedCommandTests
{
    [Fact]
    public async Task Embed_RealSlideWithDefaultModel_TilesEmbedsAndResumes()
    {
        using var temp = new TempFolder();
        var (code, output, error) = await CliRunner.RunAsync("embed", TestSlides.SmallHE, "--out", temp.Path, "--batch", "8");
        var (again, againOutput, _) = await CliRunner.RunAsync("embed", TestSlides.SmallHE, "--out", temp.Path);

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("1 embedded, 0 already done, 0 failed", output);
        Assert.Contains("patches/s", output);
        Assert.Contains("running on CPU", error); // the auto device says once why it is not on CUDA
        FeatureRows rows = await FeatureRows.ReadAsync(Path.Combine(temp.Path, "small_HE", FeatureTable.FileName));
        Assert.Equal(HandETextureExtractor.Id, rows.Info.ExtractorId);
        Assert.Equal(ExitCodes.Ok, again);
        Assert.Contains("0 embedded, 1 already done", againOutput);
    }

    [Fact]
    public async Task Embed_UnusableModel_FailsBeforeTouchingAnySlide()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("broken.onnx"), "not a model");
        File.WriteAllText(temp.File("broken.json"),
            """{"id":"broken","onnx":"broken.onnx","input":{"name":"pixels","size_px":224},"target_mpp":0.5,"output":{"name":"embedding","dim":8}}""");
        string output = temp.File("out");

        var (code, _, error) = await CliRunner.RunAsync("embed", TestSlides.SmallHE, "--out", output, "--model", temp.File("broken.onnx"));
        var (unknown, _, unknownError) = await CliRunner.RunAsync("embed", TestSlides.SmallHE, "--out", output, "--model", "no-such-extractor");
        var (cuda, _, cudaError) = await CliRunner.RunAsync("embed", TestSlides.SmallHE, "--out", output, "--device", "cuda:1");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("broken.onnx", error);
        Assert.Equal(ExitCodes.Usage, unknown);
        Assert.Contains("Known ids:", unknownError);
        Assert.Equal(ExitCodes.Usage, cuda);
        Assert.Contains("cuda:1 was asked for", cudaError);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Embed_BadBatch_IsAUsageError()
    {
        using var temp = new TempFolder();
        var (code, _, error) = await CliRunner.RunAsync("embed", TestSlides.SmallHE, "--out", temp.Path, "--batch", "0");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--batch must be 1-4096, not 0", error);
    }
}
