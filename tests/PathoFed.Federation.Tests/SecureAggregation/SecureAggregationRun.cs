using PathoFed.Federation.SecureAggregation;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Tests.SecureAggregation;

/// <summary>Drives a coordinator and its sites through one in-process session, with sites dropping at chosen steps.</summary>
internal sealed class SecureAggregationRun : IDisposable
{
    public SecureAggregationRun(int siteCount, int threshold, int seed = 11)
    {
        Settings = new SecureAggregationSettings($"test-session-{seed}", Round: 3, threshold);
        Sites = [.. Enumerable.Range(0, siteCount).Select(i => $"site-{(char)('a' + i)}")];
        var random = new Random(seed);
        Contributions = [.. Sites.Select(_ => TestParameters.Random(random.Next(), weightColumns: 40))];
        Weights = [.. Sites.Select(_ => (long)random.Next(1, 1000))];
        Clients = [.. Sites.Select(site => new SecureAggregationClient(site, Settings))];
        Server = new SecureAggregationServer(Settings, Contributions[0]);
    }

    public SecureAggregationSettings Settings { get; }

    public string[] Sites { get; }

    public NamedTensor[][] Contributions { get; }

    public long[] Weights { get; }

    public SecureAggregationClient[] Clients { get; }

    public SecureAggregationServer Server { get; }

    public HashSet<string> DropBeforeSharing { get; } = [];

    public HashSet<string> DropBeforeMaskedInput { get; } = [];

    public HashSet<string> DropBeforeUnmasking { get; } = [];

    /// <summary>The masked inputs the server received, by site.</summary>
    public Dictionary<string, MaskedInput> MaskedInputs { get; } = [];

    /// <summary>Runs the first two stages with every site (advertise keys, share keys) and returns the share deliveries.</summary>
    public IReadOnlyList<ShareDelivery> AdvertiseAndShareKeys()
    {
        foreach (var client in Clients) Server.Receive(client.AdvertiseKeys());
        var directory = Server.CloseAdvertising();
        foreach (var client in Clients) Server.Receive(client.ShareKeys(directory));
        return Server.CloseSharing();
    }

    public SecureAggregationResult Execute()
    {
        foreach (var client in Clients)
        {
            Server.Receive(client.AdvertiseKeys());
        }

        var directory = Server.CloseAdvertising();
        var alive = Clients.Where(c => !DropBeforeSharing.Contains(c.Site)).ToList();
        foreach (var client in alive)
        {
            Server.Receive(client.ShareKeys(directory));
        }

        var deliveries = Server.CloseSharing().ToDictionary(d => d.To);
        alive.RemoveAll(c => DropBeforeMaskedInput.Contains(c.Site));
        foreach (var client in alive)
        {
            var i = Array.IndexOf(Sites, client.Site);
            var masked = client.MaskInput(deliveries[client.Site], Contributions[i], Weights[i]);
            MaskedInputs[client.Site] = masked;
            Server.Receive(masked);
        }

        var request = Server.CloseMaskedInput();
        alive.RemoveAll(c => DropBeforeUnmasking.Contains(c.Site));
        foreach (var client in alive)
        {
            Server.Receive(client.Unmask(request));
        }

        return Server.Finish();
    }

    /// <summary>Σ n_u·x_u in double over the sites that sent masked input.</summary>
    public double[][] PlainWeightedSum(out long totalWeight)
    {
        var sum = Contributions[0].Select(t => new double[t.Values.Length]).ToArray();
        totalWeight = 0;
        for (var s = 0; s < Sites.Length; s++)
        {
            if (DropBeforeSharing.Contains(Sites[s]) || DropBeforeMaskedInput.Contains(Sites[s]))
            {
                continue;
            }

            totalWeight += Weights[s];
            for (var t = 0; t < sum.Length; t++)
            {
                for (var i = 0; i < sum[t].Length; i++)
                {
                    sum[t][i] += Weights[s] * (double)Contributions[s][t].Values[i];
                }
            }
        }

        return sum;
    }

    public void Dispose()
    {
        foreach (var client in Clients)
        {
            client.Dispose();
        }
    }
}
