using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PathoFed.Federation.Coordination;

namespace PathoFed.Cli.Loopback;

/// <summary>What a loopback federation produced.</summary>
/// <param name="ModelFolder">The final model (<c>state/final-model</c>), the folder <c>pathofed score</c> reads.</param>
/// <param name="FederationFolder"><c>WORK/federation</c>: CA, certificates, plan, state, audit logs and process logs.</param>
/// <param name="StateFolder">The coordinator's state (<c>federation/state</c>): checkpoints, state.json, audit log, final model.</param>
/// <param name="AuditLog">The coordinator's hash-chained audit log (<c>pathofed fed audit verify</c> checks it).</param>
/// <param name="SiteAuditLogs">Each site's own audit log, by site name.</param>
/// <param name="LogsFolder">The processes' output, one <c>NAME.log</c> each.</param>
/// <param name="Rounds">The rounds this run finished, as the coordinator printed them (rounds of an earlier, resumed run are not repeated).</param>
/// <param name="Elapsed">From the first process started to the last one finished.</param>
internal sealed record LoopbackFederationResult(
    string ModelFolder, string FederationFolder, string StateFolder, string AuditLog, IReadOnlyDictionary<string, string> SiteAuditLogs,
    string LogsFolder, IReadOnlyList<FederationRoundProgress> Rounds, TimeSpan Elapsed);

/// <summary>
/// A whole federation on this machine: a coordinator (<c>pathofed fed serve</c>) and one site agent
/// (<c>pathofed fed join</c>) per site as separate processes on loopback, talking gRPC with mutual TLS under the
/// federation's own CA, exactly as they would across hospitals. Resumable: a second run reuses the credentials and the
/// coordinator resumes from its checkpoints.
/// </summary>
internal static class LoopbackFederation
{
    /// <summary>Prepares the federation's files, runs every process to the end and returns the final model folder.</summary>
    /// <param name="options">The plan, the sites and the work folder (validated here).</param>
    /// <param name="progress">Told once the coordinator listens and after every round it finishes; on the thread reading its output.</param>
    /// <param name="cancellationToken">Stops the run: every process is killed.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="PathoFed.Federation.FederationException">The plan is invalid.</exception>
    /// <exception cref="PathoFed.Federation.Security.CertificateException">The CA or a certificate cannot be written.</exception>
    /// <exception cref="LoopbackFederationException">A process failed or the run timed out (the message names the process, its exit code and its last lines), or no final model was written.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; every process was killed.</exception>
    public static async Task<LoopbackFederationResult> RunAsync(
        LoopbackFederationOptions options, IProgress<FederationRoundProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var folder = new LoopbackFederationFolder(options.WorkFolder);
        folder.Prepare(options.Plan, [.. options.Sites.Select(site => site.Name)]);
        PathofedLauncher launcher = options.Launcher ?? PathofedLauncher.Current();
        cancellationToken.ThrowIfCancellationRequested();

        var rounds = new List<FederationRoundProgress>();
        Exception? progressFailure = null;
        int port = FreeLoopbackPort();
        var clock = Stopwatch.StartNew();
        using (var processes = new FederationProcessGroup())
        {
            // On the coordinator's output reader: an exception thrown here would end this process, so a failing
            // handler stops the federation instead and is reported below.
            void OnCoordinatorLine(string line)
            {
                if (FederationRoundProgress.Parse(line) is not { } reported) return;
                if (reported.Sampled > 0)
                {
                    lock (rounds) rounds.Add(reported);
                }
                try
                {
                    progress?.Report(reported);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref progressFailure, e, null);
                    processes.KillAll();
                }
            }

            processes.Start(LoopbackFederationFolder.CoordinatorName, launcher, ServeArguments(folder, port, options.Linger),
                folder.Log(LoopbackFederationFolder.CoordinatorName), OnCoordinatorLine);
            foreach (LoopbackSite site in options.Sites)
                processes.Start(site.Name, launcher, JoinArguments(folder, port, site), folder.Log(site.Name));
            try
            {
                await processes.WaitAllAsync(options.Timeout, cancellationToken);
            }
            catch (LoopbackFederationException) when (Volatile.Read(ref progressFailure) is { } failure)
            {
                throw new LoopbackFederationException($"The progress handler failed ({failure.GetType().Name}: {failure.Message}); every process was stopped.", failure);
            }
            if (Volatile.Read(ref progressFailure) is { } late) // thrown on the last line, after every process had finished
                throw new LoopbackFederationException($"The progress handler failed ({late.GetType().Name}: {late.Message}).", late);
        }
        clock.Stop();

        if (!Directory.Exists(folder.FinalModel))
            throw new LoopbackFederationException($"Every process finished, but the coordinator wrote no final model in {folder.FinalModel}: see {folder.Log(LoopbackFederationFolder.CoordinatorName)}.");
        var siteAudits = options.Sites.ToDictionary(site => site.Name, site => Path.Combine(folder.SiteState(site.Name), CoordinatorEngine.AuditFileName), StringComparer.Ordinal);
        lock (rounds)
        {
            return new LoopbackFederationResult(folder.FinalModel, folder.Root, folder.CoordinatorState, Path.Combine(folder.CoordinatorState, CoordinatorEngine.AuditFileName),
                siteAudits, folder.LogsFolder, [.. rounds], clock.Elapsed);
        }
    }

    private static string[] ServeArguments(LoopbackFederationFolder folder, int port, TimeSpan linger) =>
        ["fed", "serve", "--plan", folder.PlanPath, "--state", folder.CoordinatorState, "--listen", IPAddress.Loopback.ToString(),
            "--port", port.ToString(CultureInfo.InvariantCulture), "--cert", folder.Certificate(LoopbackFederationFolder.CoordinatorName),
            "--ca", folder.CaCertificate, "--allow", folder.AllowListPath, "--linger", ((int)Math.Ceiling(linger.TotalSeconds)).ToString(CultureInfo.InvariantCulture)];

    // The loopback address, not "localhost": the coordinator listens on IPv4 only, and its certificate names 127.0.0.1.
    private static string[] JoinArguments(LoopbackFederationFolder folder, int port, LoopbackSite site) =>
        ["fed", "join", "--coordinator", string.Create(CultureInfo.InvariantCulture, $"{IPAddress.Loopback}:{port}"), "--cert", folder.Certificate(site.Name), "--ca", folder.CaCertificate,
            "--features", Path.GetFullPath(site.FeaturesFolder), "--labels", Path.GetFullPath(site.LabelsCsv), "--state", folder.SiteState(site.Name)];

    // The port is free when asked; another program could take it before the coordinator binds, and then the
    // coordinator's failure to listen is reported like any other.
    internal static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
