using System.Diagnostics;

namespace PathoFed.Cli.Loopback;

/// <summary>
/// How to start another <c>pathofed</c> process from this one: the apphost (or single-file binary) when that is what
/// runs, otherwise the .NET host with <c>pathofed.dll</c>.
/// </summary>
/// <param name="FileName">The program to start.</param>
/// <param name="LeadingArguments">Arguments before the verb (<c>pathofed.dll</c> under the .NET host).</param>
internal sealed record PathofedLauncher(string FileName, IReadOnlyList<string> LeadingArguments)
{
    private const string BinaryName = "pathofed";

    /// <summary>
    /// The launcher for this installation. <see cref="Environment.ProcessPath"/> is our apphost when run as
    /// <c>pathofed</c>, but <c>dotnet</c> under <c>dotnet pathofed.dll</c> and the test host under a test runner, so the
    /// assembly's own path is what names the program then.
    /// </summary>
    /// <exception cref="LoopbackFederationException">Neither an apphost nor <c>pathofed.dll</c> can be found.</exception>
    public static PathofedLauncher Current()
    {
        string? process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == BinaryName) return new PathofedLauncher(process, []);

        // Empty in a single-file binary, but then the process path above is the binary.
        string assembly = typeof(PathofedLauncher).Assembly.Location;
        if (assembly.Length == 0 || !File.Exists(assembly))
            throw new LoopbackFederationException($"Cannot find how to start pathofed again: the process is {process ?? "unknown"} and the pathofed assembly has no file. Run the pathofed binary or 'dotnet pathofed.dll'.");
        return new PathofedLauncher(DotnetHost(process), [assembly]);
    }

    /// <summary>
    /// Start information for <c>pathofed ARGS</c>: output redirected, no terminal progress bars, and standard input a
    /// <see cref="ParentLifeline"/> (keep <see cref="Process.StandardInput"/> open while the child should live).
    /// </summary>
    public ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(FileName) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (string argument in LeadingArguments.Concat(arguments)) start.ArgumentList.Add(argument);
        // Children write to log files: plain lines, no progress bars (CliConsole turns them off under CI).
        start.Environment["CI"] = "true";
        start.Environment[ParentLifeline.EnvironmentVariable] = ParentLifeline.StandardInput;
        return start;
    }

    public override string ToString() => string.Join(' ', LeadingArguments.Prepend(FileName));

    // The muxer running us when there is one; DOTNET_HOST_PATH is what the SDK sets for tools and test hosts.
    private static string DotnetHost(string? process) =>
        process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process
        : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : "dotnet";
}
