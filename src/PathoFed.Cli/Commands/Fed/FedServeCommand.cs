using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using PathoFed.Cli.Loopback;
using PathoFed.Cli.Terminal;
using PathoFed.Federation;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Hosting;
using PathoFed.Federation.Plans;
using PathoFed.Federation.Security;
using PathoFed.Federation.Strategies;

namespace PathoFed.Cli.Commands.Fed;

/// <summary><c>pathofed fed serve</c>: the coordinator, a gRPC service with mutual TLS, until the plan's rounds are done.</summary>
internal static class FedServeCommand
{
    public static Command Create(CliConsole console)
    {
        var plan = new Option<string>("--plan") { Description = "plan.json: head, task, classes, extractor, strategy, rounds, quorum, deadline, privacy.", Required = true };
        var state = new Option<string>("--state") { Description = "State folder: checkpoints, state.json, audit.log, final-model/. A restart resumes from it.", Required = true };
        var port = new Option<int>("--port") { Description = "TCP port.", DefaultValueFactory = _ => 7443 };
        var host = new Option<string>("--listen") { Description = "Interface to listen on (0.0.0.0 for every interface).", DefaultValueFactory = _ => "127.0.0.1" };
        var cert = new Option<string>("--cert") { Description = "The coordinator's certificate and key (.pfx from 'fed ca issue --coordinator').", Required = true };
        var ca = new Option<string>("--ca") { Description = "The federation CA certificate (ca.pem): only certificates it issued are accepted.", Required = true };
        var allow = new Option<string>("--allow") { Description = "Allow-list: site names accepted, one per line.", Required = true };
        var linger = new Option<int>("--linger") { Description = "Seconds to keep serving after the last round so every site hears that training finished.", DefaultValueFactory = _ => 15 };

        var command = new Command("serve", "Run the federation's coordinator: rounds, secure aggregation, checkpoints and audit log, over gRPC with mutual TLS.")
        {
            plan, state, port, host, cert, ca, allow, linger,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            CoordinatorEngine engine;
            CoordinatorEndpoint endpoint;
            try
            {
                FederationPlan loaded = FederationPlan.Read(parse.GetValue(plan)!);
                X509Certificate2 caCertificate = CertificateFiles.ReadCertificatePem(parse.GetValue(ca)!);
                AllowList sites = AllowList.Read(parse.GetValue(allow)!);
                IAggregationStrategy strategy = AggregationStrategyFactory.Create(loaded.Strategy, loaded.StrategyOptions.ValueKind == System.Text.Json.JsonValueKind.Undefined ? null : loaded.StrategyOptions.GetRawText());
                if (!IPAddress.TryParse(parse.GetValue(host), out IPAddress? listen)) throw new ArgumentException($"--listen must be an IP address, not '{parse.GetValue(host)}'.");
                endpoint = new CoordinatorEndpoint(parse.GetValue(port), listen, CertificateFiles.ReadIdentityPfx(parse.GetValue(cert)!), PeerCertificatePolicy.ForSiteClients(caCertificate, sites));
                engine = new CoordinatorEngine(loaded, parse.GetValue(state)!, sites, strategy, logger: new ConsoleLogger(console));
            }
            catch (Exception e) when (e is PathoFedException or ArgumentException or IOException or System.Security.Cryptography.CryptographicException)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }

            using (engine)
            {
                await using CoordinatorHost server = await CoordinatorHost.StartAsync(engine, endpoint, cancellationToken: cancellationToken);
                await console.Out.WriteLineAsync(FederationRoundProgress.FormatStart(endpoint.ListenAddress.ToString(), server.Port, engine.Plan, engine.LastFinishedRound));
                try
                {
                    int printed = engine.History.Count;
                    while (!engine.IsFinished)
                    {
                        await Task.Delay(500, cancellationToken);
                        for (; printed < engine.History.Count; printed++) await console.Out.WriteLineAsync(FederationRoundProgress.FormatRound(engine.History[printed], engine.Plan.Rounds));
                    }
                    for (; printed < engine.History.Count; printed++) await console.Out.WriteLineAsync(FederationRoundProgress.FormatRound(engine.History[printed], engine.Plan.Rounds));
                    await console.Out.WriteLineAsync($"Finished: model folder {Path.Combine(engine.StateFolder, CoordinatorEngine.FinalModelFolderName)}; audit log {Path.Combine(engine.StateFolder, "audit.log")}");
                    await Task.Delay(TimeSpan.FromSeconds(parse.GetValue(linger)), cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    await console.Error.WriteLineAsync($"stopped after round {engine.LastFinishedRound}; run the same command to resume.");
                    return ExitCodes.Cancelled;
                }
                await server.StopAsync(CancellationToken.None);
                return ExitCodes.Ok;
            }
        });
        return command;
    }
}
