using System.Diagnostics;
using System.Globalization;
using System.Net;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Hosting;
using PathoFed.Federation.Plans;
using PathoFed.Federation.Security;
using PathoFed.Federation.Sites;
using PathoFed.Federation.Strategies;
using PathoFed.Federation.Transport;
using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Tests;
using PathoFed.Mil.Training;

/// <summary>
/// What a federated round costs beyond the sites' training, for a 1024-input ABMIL head: the same rounds run once with
/// sites calling the coordinator in process and once over gRPC with mutual TLS on loopback, against the sites' local
/// training alone. Prints per-round wall times and bytes.
/// </summary>
internal static class RoundOverhead
{
    public static async Task RunAsync(int sites, int bagsPerSite, int patchesPerBag, int rounds, bool secureAggregation)
    {
        const int dim = 1024;
        MilDataset[] data = Enumerable.Range(0, sites).Select(s => Cohort(s, bagsPerSite, patchesPerBag, dim)).ToArray();
        var plan = new FederationPlan
        {
            Name = "overhead", Classes = ["MSS", "MSI"], ExtractorId = "planted", ExtractorSha256 = "planted-sha", EmbeddingDim = dim,
            EncoderDim = 256, AttentionDim = 128, Rounds = rounds, LocalEpochs = 1, MinSites = sites, RoundDeadlineSeconds = 600, MaxUpdateNorm = 1e6, SecureAggregation = secureAggregation,
        }.Validate();
        string[] names = Enumerable.Range(0, sites).Select(s => $"site-{(char)('a' + s)}").ToArray();
        Console.WriteLine($"{sites} sites x {bagsPerSite} bags x {patchesPerBag} patches of {dim}-d; ABMIL 1024-256-128; {rounds} rounds, 1 local epoch; " +
            $"{Environment.ProcessorCount} cores{(secureAggregation ? "; secure aggregation" : "")}");

        double local = LocalTrainingSeconds(data, plan);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"local training alone (one epoch on all bags, sites one after another): {local:0.00} s per round"));
        (double sequential, double concurrent) = SiteRoundSeconds(data, names, plan, rounds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sites' round work without a coordinator (hold-out evaluation + local epoch on the training split): one site after another {sequential:0.00} s, all at once {concurrent:0.00} s"));
        using var temp = new TempDirectory();
        (double inProcess, _, double coordinatorWork) = await RunRoundsAsync(plan, data, names, Path.Combine(temp.Path, "in-process"), transport: null);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"coordinator's own work per round in process (inside the submit calls: decode and validate each update or masking step; at the last one aggregate or unmask, checkpoint, audit, open the next round): {coordinatorWork:0.00} s"));
        Pki pki = Pki.Create(Path.Combine(temp.Path, "pki"), names);
        (double grpc, RoundRecord last, _) = await RunRoundsAsync(plan, data, names, Path.Combine(temp.Path, "grpc"), pki);
        SiteTraffic traffic = last.Traffic.Values.First();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"round wall time: in process {inProcess:0.00} s, over gRPC + mutual TLS {grpc:0.00} s; transport overhead {100 * (grpc - inProcess) / grpc:0.0}% of the round; " +
            $"bytes per site per round: {traffic}"));
        string Share(double seconds) => string.Create(CultureInfo.InvariantCulture, $"{Math.Round(seconds, 2):+0.00;-0.00;0.00} s ({Math.Round(100 * seconds / grpc, 1):+0.0;-0.0;0.0}%)");
        Console.WriteLine($"the round over gRPC against local training alone, step by step: evaluation and the training split {Share(sequential - local)}, " +
            $"sites running at once on {Environment.ProcessorCount} cores {Share(concurrent - sequential)}, coordinator's own work {Share(coordinatorWork)}, " +
            $"the rest in process (sites' model decoding and encoding{(secureAggregation ? ", masking" : "")}, audit, scheduling) {Share(inProcess - concurrent - coordinatorWork)}, " +
            $"gRPC + TLS {Share(grpc - inProcess)}");
        if (secureAggregation) await CompareWithPlainAsync(plan, data, names, temp.Path, pki);
    }

    /// <summary>
    /// Secure aggregation's whole cost, as the difference of round wall times over gRPC + mutual TLS between the same
    /// federation with and without it, runs interleaved (plain, secure, plain, ...) so drift in machine speed hits both.
    /// </summary>
    private static async Task CompareWithPlainAsync(FederationPlan plan, MilDataset[] data, string[] names, string folder, Pki pki, int repeats = 3)
    {
        var plain = new List<double>();
        var secure = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            plain.Add((await RunRoundsAsync(plan with { SecureAggregation = false }, data, names, Path.Combine(folder, $"ab-plain-{r}"), pki)).Seconds);
            secure.Add((await RunRoundsAsync(plan, data, names, Path.Combine(folder, $"ab-secure-{r}"), pki)).Seconds);
        }
        double[] differences = [.. plain.Zip(secure, (p, s) => s - p)];
        string List(IEnumerable<double> values) => string.Join(" ", values.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"secure aggregation's whole cost over gRPC + mutual TLS ({repeats} interleaved pairs): rounds without {List(plain)} s, with {List(secure)} s; " +
            $"difference {List(differences)} s, mean {differences.Average():+0.00;-0.00} s = {100 * differences.Average() / plain.Average():+0.0;-0.0}% of a plain round"));
    }

    /// <summary>
    /// A round's work at the sites with no coordinator: each site's <see cref="SiteTrainer.RunRound"/> (evaluate the global
    /// model on its hold-out, then one local epoch on its training split) from the same global model, timed with the
    /// sites one after another and all at once (as the site workers run). Mean over <paramref name="rounds"/> rounds after one warm-up.
    /// </summary>
    private static (double Sequential, double Concurrent) SiteRoundSeconds(MilDataset[] data, string[] names, FederationPlan plan, int rounds)
    {
        IReadOnlyList<NamedTensor> global = MilHeads.Create(plan.HeadConfig(), plan.Seed).GetParameters();
        SiteTrainer[] trainers = [.. names.Select((name, i) => new SiteTrainer(name, data[i], plan))];
        trainers[0].RunRound(1, global, 0f, CancellationToken.None); // JIT and buffers, as round 1 of a federation is not counted either

        double MeanSeconds(Action<int> round)
        {
            var clock = Stopwatch.StartNew();
            for (int r = 2; r < 2 + rounds; r++) round(r);
            return clock.Elapsed.TotalSeconds / rounds;
        }
        double sequential = MeanSeconds(r => { foreach (SiteTrainer trainer in trainers) trainer.RunRound(r, global, 0f, CancellationToken.None); });
        double concurrent = MeanSeconds(r => Task.WaitAll([.. trainers.Select(trainer => Task.Run(() => trainer.RunRound(r, global, 0f, CancellationToken.None)))]));
        return (sequential, concurrent);
    }

    private static MilDataset Cohort(int site, int bags, int patches, int dim)
    {
        var rng = new Random(100 + site);
        var examples = new List<MilExample>();
        for (int b = 0; b < bags; b++)
        {
            MilBag bag = MilTestData.RandomBag($"s{site}-b{b}", patches, dim, rng);
            examples.Add(new MilExample(bag, MilTarget.Class(b % 2), $"s{site}-p{b}"));
        }
        return new MilDataset(MilTask.Classify, examples, ["MSS", "MSI"], new FeatureOrigin("planted", "planted-sha", dim), []);
    }

    /// <summary>One local epoch per site on all its bags, as a round asks, with no coordinator at all (after one warm-up epoch).</summary>
    private static double LocalTrainingSeconds(MilDataset[] data, FederationPlan plan)
    {
        void Epoch(MilDataset site) =>
            MilTrainer.TrainEpochs(MilHeads.Create(plan.HeadConfig(), plan.Seed), site.Examples, 1, new MilTrainingOptions { BatchSize = plan.BagsPerStep, LearningRate = plan.LearningRate });
        Epoch(data[0]);
        var clock = Stopwatch.StartNew();
        foreach (MilDataset site in data) Epoch(site);
        return clock.Elapsed.TotalSeconds;
    }

    /// <returns>Mean wall time of rounds 2.. (round 1 includes joining and warm-up), the last round's record, and the mean time per round spent inside SubmitUpdate.</returns>
    private static async Task<(double Seconds, RoundRecord Last, double SubmitSeconds)> RunRoundsAsync(FederationPlan plan, MilDataset[] data, string[] names, string state, Pki? transport)
    {
        using var engine = new CoordinatorEngine(plan, state, AllowList.FromNames(names), AggregationStrategyFactory.Create("fedavg"));
        var timed = new TimedEngine(engine);
        CoordinatorHost? host = transport is null ? null
            : await CoordinatorHost.StartAsync(engine, new CoordinatorEndpoint(0, IPAddress.Loopback, transport.Coordinator, transport.SitePolicy(names)));
        try
        {
            var clients = new List<IDisposable>();
            Task[] workers = names.Select((name, i) =>
            {
                ISiteChannel channel = new InProcessSiteChannel(timed, name);
                if (host is not null && transport is not null)
                {
                    var client = new CoordinatorClient(new Uri($"https://localhost:{host.Port}"), transport.Site(name), transport.CoordinatorPolicy());
                    clients.Add(client);
                    channel = new GrpcSiteChannel(client);
                }
                var worker = new SiteWorker(name, data[i], null);
                clients.Add(worker);
                return Task.Run(() => worker.RunAsync(channel, CancellationToken.None));
            }).ToArray();
            await Task.WhenAll(workers);
            foreach (IDisposable client in clients) client.Dispose();
        }
        finally
        {
            if (host is not null) await host.DisposeAsync();
        }
        IReadOnlyList<RoundRecord> history = engine.History;
        double seconds = (history[^1].ClosedAt - history[0].ClosedAt).TotalSeconds / (history.Count - 1);
        return (seconds, history[^1], timed.SubmitSeconds / history.Count);
    }

    /// <summary>The engine, with the time spent inside the submit calls (plain and secure-aggregation steps) summed over every call.</summary>
    private sealed class TimedEngine(ICoordinatorEngine inner) : ICoordinatorEngine
    {
        private long _submitTicks;

        public double SubmitSeconds => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _submitTicks)).TotalSeconds;

        public JoinResult Join(string site, SiteHello hello) => inner.Join(site, hello);

        public Task<SiteTask> NextTaskAsync(string site, TimeSpan wait, CancellationToken cancellationToken) => inner.NextTaskAsync(site, wait, cancellationToken);

        public SubmitResult SubmitUpdate(string site, SubmittedUpdate update) => Timed(() => inner.SubmitUpdate(site, update));

        public SubmitResult SubmitSecureAggregation(string site, SecureAggregationEnvelope message) => Timed(() => inner.SubmitSecureAggregation(site, message));

        private SubmitResult Timed(Func<SubmitResult> submit)
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                return submit();
            }
            finally
            {
                Interlocked.Add(ref _submitTicks, Stopwatch.GetTimestamp() - start);
            }
        }
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pathofed-overhead-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
    }

    /// <summary>A throwaway federation CA with a coordinator and the sites, issued through the same API as 'fed ca'.</summary>
    private sealed class Pki(string folder, System.Security.Cryptography.X509Certificates.X509Certificate2 ca)
    {
        public System.Security.Cryptography.X509Certificates.X509Certificate2 Coordinator { get; private init; } = null!;

        public static Pki Create(string folder, string[] sites)
        {
            string caFolder = System.IO.Path.Combine(folder, "ca"), certs = System.IO.Path.Combine(folder, "certs");
            FederationCa.Init(caFolder, "overhead CA", TimeSpan.FromDays(2));
            IssuedCertificateFiles coordinator = FederationCa.Issue(caFolder, "fed-coordinator", certs, TimeSpan.FromDays(1), FederationRole.Coordinator);
            foreach (string site in sites) FederationCa.Issue(caFolder, site, certs, TimeSpan.FromDays(1));
            return new Pki(certs, FederationCa.ReadCertificate(caFolder)) { Coordinator = CertificateFiles.ReadIdentityPfx(coordinator.PfxPath) };
        }

        public System.Security.Cryptography.X509Certificates.X509Certificate2 Site(string name) => CertificateFiles.ReadIdentityPfx(System.IO.Path.Combine(folder, name + ".pfx"));

        public PeerCertificatePolicy SitePolicy(string[] names) => PeerCertificatePolicy.ForSiteClients(ca, AllowList.FromNames(names));

        public PeerCertificatePolicy CoordinatorPolicy() => PeerCertificatePolicy.ForCoordinatorServer(ca, "localhost");
    }
}
