using System.Text.Json;
using System.Text.RegularExpressions;
using PathoFed.Cli;

namespace PathoFed.Cli.Tests;

public sealed class ViewCommandTests
{
    [Fact]
    public async Task View_PrintsTheUrl_ServesTheSlides_AndStopsOnCancel()
    {
        using var folder = new TempFolder();
        string slides = Path.Combine(folder.Path, "slides"), results = Path.Combine(folder.Path, "results");
        Directory.CreateDirectory(slides);
        Directory.CreateDirectory(results);
        File.Copy(TestSlides.SmallSvs, Path.Combine(slides, "small.svs"));
        var output = new StringWriter();
        TextWriter synchronizedOut = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        Task<int> run = PathofedCli.InvokeAsync(["view", "--slides", slides, "--results", results, "--port", "0"],
            new CliConsole(synchronizedOut, TextWriter.Null, Interactive: false), stop.Token);
        Match url = Match.Empty;
        for (int attempt = 0; attempt < 300 && !url.Success && !run.IsCompleted; attempt++)
        {
            await Task.Delay(100);
            url = Regex.Match(output.ToString(), @"http://127\.0\.0\.1:\d+/");
        }
        Assert.True(url.Success, $"no URL printed: {output}");
        Assert.Contains("Viewing 1 slides", output.ToString());

        using (var client = new HttpClient { BaseAddress = new Uri(url.Value) })
        {
            using JsonDocument list = JsonDocument.Parse(await client.GetStringAsync("/api/slides"));
            Assert.Equal("small", list.RootElement.GetProperty("slides")[0].GetProperty("id").GetString());
        }
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Ok, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task View_MissingResultsFolder_ExitsWithUsageAndNamesIt()
    {
        using var folder = new TempFolder();
        (int code, _, string error) = await CliRunner.RunAsync("view", "--slides", folder.Path, "--results", folder.File("nope"), "--port", "0");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("nope", error);
    }

    [Fact]
    public async Task View_HostThatIsNotAnAddress_ExitsWithUsage()
    {
        using var folder = new TempFolder();
        (int code, _, string error) = await CliRunner.RunAsync("view", "--slides", folder.Path, "--results", folder.Path, "--host", "example.org");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("example.org", error);
    }

    [Fact]
    public async Task View_PortInUse_ExitsWithUsageAndSaysSo()
    {
        using var folder = new TempFolder();
        var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
            (int code, _, string error) = await CliRunner.RunAsync("view", "--slides", folder.Path, "--results", folder.Path, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(ExitCodes.Usage, code);
            Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error);
        }
        finally
        {
            taken.Stop();
        }
    }
}
