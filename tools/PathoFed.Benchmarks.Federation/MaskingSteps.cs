using System.Diagnostics;
using System.Globalization;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Plans;
using PathoFed.Federation.SecureAggregation;
using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;

/// <summary>
/// The compute cost of one secure-aggregation round for a 1024-input ABMIL update, step by step, with no network and no
/// waiting: each site's and the coordinator's work per protocol step, including the payload (de)serialisation the engine
/// does. Sites run one after another, so the site columns are per site. Mean over rounds after one warm-up.
/// </summary>
internal static class MaskingSteps
{
    public static void Run(int sites, int rounds)
    {
        var plan = new FederationPlan
        {
            Name = "masking", Classes = ["MSS", "MSI"], ExtractorId = "planted", ExtractorSha256 = "planted-sha", EmbeddingDim = 1024,
            EncoderDim = 256, AttentionDim = 128, MinSites = sites,
        }.Validate();
        IReadOnlyList<NamedTensor> layout = MilHeads.Create(plan.HeadConfig(), plan.Seed).GetParameters();
        var rng = new Random(7);
        NamedTensor[][] updates = [.. Enumerable.Range(0, sites).Select(_ => layout.Select(t => t with { Values = [.. t.Values.Select(_ => (float)(rng.NextDouble() - 0.5) * 1e-2f)] }).ToArray())];
        long parameters = layout.Sum(t => (long)t.Values.Length);
        Console.WriteLine($"{sites} sites, ABMIL 1024-256-128 ({parameters:N0} parameters), {Environment.ProcessorCount} cores; seconds per round, site columns per site");

        var totals = new Dictionary<string, double>();
        long maskedBytes = 0;
        for (int round = 0; round <= rounds; round++)
        {
            var times = new Dictionary<string, double>();
            T Time<T>(string step, Func<T> work)
            {
                long start = Stopwatch.GetTimestamp();
                T result = work();
                times[step] = times.GetValueOrDefault(step) + Stopwatch.GetElapsedTime(start).TotalSeconds;
                return result;
            }

            var settings = new SecureAggregationSettings($"bench-{round}", round + 1, Threshold: sites);
            string[] names = [.. Enumerable.Range(0, sites).Select(s => $"site-{s}")];
            SecureAggregationClient[] clients = [.. names.Select(n => new SecureAggregationClient(n, settings))];
            var server = new SecureAggregationServer(settings, layout);

            foreach (var client in clients)
            {
                byte[] payload = Time("site: advertise keys", () => SecureAggregationPayloads.Serialize(client.AdvertiseKeys()));
                Time("coordinator: advertise keys", () => { server.Receive(SecureAggregationPayloads.Deserialize<AdvertiseKeys>(payload, "bench")); return 0; });
            }
            byte[] directory = Time("coordinator: advertise keys", () => SecureAggregationPayloads.Serialize(server.CloseAdvertising()));
            foreach (var client in clients)
            {
                byte[] payload = Time("site: share keys", () => SecureAggregationPayloads.Serialize(client.ShareKeys(SecureAggregationPayloads.Deserialize<KeyDirectory>(directory, "bench"))));
                Time("coordinator: share keys", () => { server.Receive(SecureAggregationPayloads.Deserialize<ShareKeys>(payload, "bench")); return 0; });
            }
            Dictionary<string, byte[]> deliveries = Time("coordinator: share keys", () => server.CloseSharing().ToDictionary(d => d.To, d => SecureAggregationPayloads.Serialize(d)));
            for (int s = 0; s < sites; s++)
            {
                var client = clients[s];
                byte[] payload = Time("site: masked input", () =>
                {
                    var delivery = SecureAggregationPayloads.Deserialize<ShareDelivery>(deliveries[client.Site], "bench");
                    return SecureAggregationPayloads.SerializeMasked(new MaskedSubmission(client.MaskInput(delivery, updates[s], 100), new Dictionary<string, double>()));
                });
                maskedBytes = payload.Length;
                Time("coordinator: masked input", () => { server.Receive(SecureAggregationPayloads.DeserializeMasked(payload, "bench").Input); return 0; });
            }
            byte[] request = Time("coordinator: masked input", () => SecureAggregationPayloads.Serialize(server.CloseMaskedInput()));
            foreach (var client in clients)
            {
                byte[] payload = Time("site: unmasking", () => SecureAggregationPayloads.Serialize(client.Unmask(SecureAggregationPayloads.Deserialize<UnmaskRequest>(request, "bench"))));
                Time("coordinator: unmasking", () => { server.Receive(SecureAggregationPayloads.Deserialize<UnmaskingShares>(payload, "bench")); return 0; });
            }
            Time("coordinator: unmasking", () => server.Finish().WeightedMeanOfLocals(layout));
            foreach (var client in clients) client.Dispose();
            if (round == 0) continue; // warm-up: JIT
            foreach (var (step, seconds) in times) totals[step] = totals.GetValueOrDefault(step) + seconds;
        }

        foreach (var (step, seconds) in totals)
        {
            double perRound = seconds / rounds / (step.StartsWith("site", StringComparison.Ordinal) ? sites : 1);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {step,-28} {perRound:0.0000} s"));
        }
        double site = totals.Where(p => p.Key.StartsWith("site", StringComparison.Ordinal)).Sum(p => p.Value) / rounds / sites;
        double coordinator = totals.Where(p => p.Key.StartsWith("coordinator", StringComparison.Ordinal)).Sum(p => p.Value) / rounds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"per site {site:0.000} s, coordinator {coordinator:0.000} s per round; masked-input payload {maskedBytes / 1e6:0.00} MB ({(double)maskedBytes / (parameters + 1):0.00} bytes per value)"));
    }
}
