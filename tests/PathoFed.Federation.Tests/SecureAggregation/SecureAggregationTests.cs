using PathoFed.Federation.SecureAggregation;

namespace PathoFed.Federation.Tests.SecureAggregation;

public sealed class SecureAggregationTests
{
    private static void AssertEqualsPlainSum(SecureAggregationRun run, SecureAggregationResult result, int contributors)
    {
        var expected = run.PlainWeightedSum(out var totalWeight);
        var encoding = run.Settings.EncodingOrDefault;
        Assert.Equal(totalWeight, result.TotalWeight);
        for (var t = 0; t < expected.Length; t++)
        {
            for (var i = 0; i < expected[t].Length; i++)
            {
                // Documented quantisation error, plus the single rounding of the decoded value to float32.
                var sumTolerance = encoding.MaxAbsErrorOfWeightedSum(contributors) + Math.Abs(expected[t][i]) * Math.ScaleB(1, -24);
                Assert.InRange(result.WeightedSum[t].Values[i] - expected[t][i], -sumTolerance, sumTolerance);
                var mean = expected[t][i] / totalWeight;
                var meanTolerance = encoding.MaxAbsErrorOfWeightedMean + Math.Abs(mean) * Math.ScaleB(1, -24);
                Assert.InRange(result.WeightedMean[t].Values[i] - mean, -meanTolerance, meanTolerance);
            }
        }
    }

    [Fact]
    public void Execute_FiveSites_EqualsPlainWeightedSumWithinQuantisationError()
    {
        using var run = new SecureAggregationRun(siteCount: 5, threshold: 3);
        var result = run.Execute();
        AssertEqualsPlainSum(run, result, contributors: 5);
        Assert.Equal(run.Sites, result.Contributors);
        Assert.Empty(result.Dropped);
        Assert.Equal("head.weight", result.WeightedSum[0].Name);
        Assert.Equal([2, 40], result.WeightedSum[0].Shape);
    }

    [Theory]
    [InlineData("site-b")]
    [InlineData("site-a", "site-e")]
    public void Execute_SitesDropBeforeMaskedInput_EqualsSurvivorsSum(params string[] dropped)
    {
        using var run = new SecureAggregationRun(siteCount: 5, threshold: 3);
        run.DropBeforeMaskedInput.UnionWith(dropped);
        var result = run.Execute();
        AssertEqualsPlainSum(run, result, contributors: 5 - dropped.Length);
        Assert.Equal(dropped, result.Dropped);
        Assert.DoesNotContain(dropped[0], result.Contributors);
    }

    [Fact]
    public void Execute_SiteDropsAfterMaskingAndAnotherBefore_CountsTheMaskedOne()
    {
        // site-c's masked input arrived, then it vanished: its self mask comes from the others' shares and its input counts.
        using var run = new SecureAggregationRun(siteCount: 5, threshold: 3);
        run.DropBeforeMaskedInput.Add("site-d");
        run.DropBeforeUnmasking.Add("site-c");
        var result = run.Execute();
        AssertEqualsPlainSum(run, result, contributors: 4);
        Assert.Equal(["site-a", "site-b", "site-c", "site-e"], result.Contributors);
        Assert.Equal(["site-d"], result.Dropped);
    }

    [Fact]
    public void Execute_SiteDropsBeforeSharing_IsLeftOut()
    {
        using var run = new SecureAggregationRun(siteCount: 4, threshold: 3);
        run.DropBeforeSharing.Add("site-a");
        var result = run.Execute();
        AssertEqualsPlainSum(run, result, contributors: 3);
        Assert.Equal(["site-b", "site-c", "site-d"], result.Contributors);
    }

    [Fact]
    public void CloseMaskedInput_TooManyDropouts_AbortsNamingThreshold()
    {
        using var run = new SecureAggregationRun(siteCount: 5, threshold: 3);
        run.DropBeforeMaskedInput.UnionWith(["site-a", "site-c", "site-d"]);
        var error = Assert.Throws<SecureAggregationException>(run.Execute);
        Assert.Contains("session 'test-session-11', round 3, masked input", error.Message);
        Assert.Contains("only 2 sites sent masked input (site-b, site-e), fewer than the threshold t = 3; the round is aborted", error.Message);
        Assert.Equal(SecureAggregationStep.Done, run.Server.Step);
    }

    [Fact]
    public void Finish_TooFewUnmaskingResponses_Aborts()
    {
        using var run = new SecureAggregationRun(siteCount: 4, threshold: 3);
        run.DropBeforeUnmasking.UnionWith(["site-a", "site-b"]);
        var error = Assert.Throws<SecureAggregationException>(run.Execute);
        Assert.Contains("only 2 sites sent unmasking shares", error.Message);
    }

    [Fact]
    public void MaskedInput_SingleSite_LooksUniformAndUnrelatedToItsUpdate()
    {
        using var run = new SecureAggregationRun(siteCount: 3, threshold: 2);
        // A highly structured update: a ramp. Its plain encoding is strongly ordered; its masked form must not be.
        var values = Enumerable.Range(0, 4000).Select(i => i / 4000f).ToArray();
        var ramp = new[] { new PathoFed.Mil.Data.NamedTensor("ramp", [4000], values) };
        var server = new SecureAggregationServer(run.Settings, ramp);
        foreach (var client in run.Clients)
        {
            server.Receive(client.AdvertiseKeys());
        }

        var directory = server.CloseAdvertising();
        foreach (var client in run.Clients)
        {
            server.Receive(client.ShareKeys(directory));
        }

        var delivery = server.CloseSharing()[0];
        var masked = run.Clients[0].MaskInput(delivery, ramp, weight: 10).Values;
        var plain = values.Select(v => (double)run.Settings.EncodingOrDefault.Encode(v, 10)).ToArray();
        var maskedAsReal = masked.Take(values.Length).Select(m => (double)m).ToArray();

        Assert.All(Enumerable.Range(0, values.Length), i => Assert.NotEqual((ulong)plain[i], masked[i]));
        Assert.InRange(Correlation(plain, maskedAsReal), -0.1, 0.1);
        // Top 4 bits of each masked word: 16 equally likely buckets; chi-square with 15 df stays below 37.7 (p = 0.001).
        var buckets = new int[16];
        foreach (var word in masked.Take(values.Length))
        {
            buckets[word >> 60]++;
        }

        var expected = values.Length / 16.0;
        var chiSquare = buckets.Sum(count => (count - expected) * (count - expected) / expected);
        Assert.InRange(chiSquare, 0, 37.7);
        // The weight is masked too.
        Assert.NotEqual(10UL, masked[^1]);
    }

    private static double Correlation(double[] x, double[] y)
    {
        var meanX = x.Average();
        var meanY = y.Average();
        double covariance = 0, varianceX = 0, varianceY = 0;
        for (var i = 0; i < x.Length; i++)
        {
            covariance += (x[i] - meanX) * (y[i] - meanY);
            varianceX += (x[i] - meanX) * (x[i] - meanX);
            varianceY += (y[i] - meanY) * (y[i] - meanY);
        }

        return covariance / Math.Sqrt(varianceX * varianceY);
    }
}
