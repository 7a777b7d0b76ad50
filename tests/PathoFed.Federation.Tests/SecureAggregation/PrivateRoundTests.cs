using PathoFed.Federation.Privacy;
using PathoFed.Federation.SecureAggregation;
using PathoFed.Federation.Strategies;
using PathoFed.Federation.Updates;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Tests.SecureAggregation;

public sealed class PrivateRoundTests
{
    [Fact]
    public void Round_DpUpdatesThroughSecureAggregation_MatchPlainFedAdam()
    {
        // Sites clip and noise their updates, mask them; the coordinator unmasks the weighted mean and steps FedAdam.
        // The same privatized updates aggregated in the clear must give the same model, to quantisation error.
        const int round = 2;
        var global = TestParameters.Random(seed: 5, weightColumns: 16);
        string[] sites = ["site-a", "site-b", "site-c", "site-d"];
        long[] weights = [120, 40, 300, 75];
        var nonces = RoundNonces.Issue(round, sites);
        var validator = new UpdateValidator(global, nonces, new UpdateValidationOptions { MaxUpdateL2Norm = 5 });
        var mechanism = new GaussianMechanism { ClipNorm = 0.5, NoiseMultiplier = 0.3 };
        var settings = new SecureAggregationSettings("private-round", round, Threshold: 3);
        var server = new SecureAggregationServer(settings, global);
        var clients = sites.Select(site => new SecureAggregationClient(site, settings)).ToArray();

        var privatized = new PrivatizedUpdate[sites.Length];
        for (var s = 0; s < sites.Length; s++)
        {
            var local = TestParameters.Shifted(global, 0.05f * (s + 1));
            privatized[s] = mechanism.Privatize(sites[s], round, global, local, GaussianNoise.Seeded(s));
            validator.Accept(new SiteUpdate(sites[s], round, nonces.BySite[sites[s]], privatized[s].ApplyTo(global), weights[s], new Dictionary<string, double>()));
            server.Receive(clients[s].AdvertiseKeys());
        }

        var directory = server.CloseAdvertising();
        foreach (var client in clients)
        {
            server.Receive(client.ShareKeys(directory));
        }

        var deliveries = server.CloseSharing();
        for (var s = 0; s < sites.Length; s++)
        {
            server.Receive(clients[s].MaskInput(deliveries[s], privatized[s].Delta, weights[s]));
        }

        var request = server.CloseMaskedInput();
        foreach (var client in clients)
        {
            server.Receive(client.Unmask(request));
        }

        var secure = server.Finish();
        var options = new AdaptiveOptions { ServerLearningRate = 0.05 };
        var fromSecure = new FedAdamStrategy(options).AggregateWeightedMean(round, global, secure.WeightedMeanOfLocals(global));
        FitResult[] plainResults = [.. sites.Select((site, s) => new FitResult(site, privatized[s].ApplyTo(global), weights[s], new Dictionary<string, double>()))];
        var fromPlain = new FedAdamStrategy(options).AggregateFit(round, global, plainResults, [])!;

        Assert.Equal(weights.Sum(), secure.TotalWeight);
        for (var t = 0; t < global.Length; t++)
        {
            Assert.Equal(fromPlain[t].Values, fromSecure[t].Values, (a, b) => Math.Abs(a - b) < 1e-5);
        }

        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
