using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using PathoFed.Cli.Terminal;
using PathoFed.Federation;
using PathoFed.Federation.Audit;
using PathoFed.Federation.Security;
using PathoFed.Federation.Sites;
using PathoFed.Federation.Transport;
using PathoFed.Mil.Data;

namespace PathoFed.Cli.Commands.Fed;

/// <summary><c>pathofed fed join</c>: a site agent. Its slides and embeddings stay here; only model updates leave.</summary>
internal static class FedJoinCommand
{
    public static Command Create(CliConsole console)
    {
        var coordinator = new Option<string>("--coordinator") { Description = "The coordinator, HOST:PORT.", Required = true };
        var cert = new Option<string>("--cert") { Description = "This site's certificate and key (.pfx from 'fed ca issue --site NAME'); its name is the site's identity.", Required = true };
        var ca = new Option<string>("--ca") { Description = "The federation CA certificate (ca.pem): the coordinator must present a certificate it issued.", Required = true };
        var features = new Option<string>("--features") { Description = "This site's <slide>/features.parquet folder.", Required = true };
        var labels = new Option<string>("--labels") { Description = "This site's labels CSV (label, or time + event).", Required = true };
        var state = new Option<string>("--state") { Description = "Folder for this site's audit log.", DefaultValueFactory = _ => "fed-site" };

        var command = new Command("join", "Join a federation as a site: train the global model on local slides each round and send back only the update.")
        {
            coordinator, cert, ca, features, labels, state,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            X509Certificate2 identity;
            Uri address;
            MilDataset dataset;
            try
            {
                address = CoordinatorClient.AddressOf(parse.GetValue(coordinator)!);
                identity = CertificateFiles.ReadIdentityPfx(parse.GetValue(cert)!);
                string labelsPath = parse.GetValue(labels)!;
                // A label-skewed site may hold one class only; the plan's class list decides the indices (SiteTrainer maps names onto it).
                var siteLabels = LabelsCsv.ReadInferringTask(labelsPath, allowSingleClass: true);
                dataset = await MilDatasetLoader.LoadAsync(parse.GetValue(features)!, siteLabels, cancellationToken: cancellationToken);
            }
            catch (Exception e) when (e is PathoFedException or ArgumentException or IOException or System.Security.Cryptography.CryptographicException)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }

            string site = identity.GetNameInfo(X509NameType.SimpleName, false);
            var coordinatorPolicy = PeerCertificatePolicy.ForCoordinatorServer(CertificateFiles.ReadCertificatePem(parse.GetValue(ca)!), address.Host);
            foreach (SkippedSlide skipped in dataset.Skipped) await console.Error.WriteLineAsync($"skipped {skipped.SlideId}: {skipped.Reason}");
            await console.Out.WriteLineAsync($"Site {site}: {dataset.Examples.Count} slides ({dataset.ExtractorId}); joining {address.Authority}.");

            string stateFolder = parse.GetValue(state)!;
            Directory.CreateDirectory(stateFolder);
            using var client = new CoordinatorClient(address, identity, coordinatorPolicy);
            using AuditLog audit = AuditLog.Open(Path.Combine(stateFolder, "audit.log"), site);
            using var worker = new SiteWorker(site, dataset, audit);
            try
            {
                SiteRunResult result = await worker.RunAsync(new GrpcSiteChannel(client, new ConsoleLogger(console)), cancellationToken);
                await console.Out.WriteLineAsync($"Finished after {result.Rounds} rounds: {result.UpdatesSent} updates sent, final model {result.ModelSha256}." +
                    (result.Refusals.Count > 0 ? $" Refused: {string.Join("; ", result.Refusals)}" : ""));
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is PathoFedException)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.SomeFailed;
            }
            catch (OperationCanceledException)
            {
                await console.Error.WriteLineAsync("stopped; run the same command to rejoin.");
                return ExitCodes.Cancelled;
            }
        });
        return command;
    }
}
