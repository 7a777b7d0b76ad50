using PathoFed.Federation.SecureAggregation;

namespace PathoFed.Federation.Tests.SecureAggregation;

public sealed class SecureAggregationProtocolTests
{
    [Fact]
    public void Unmask_SecondRequest_IsRefused()
    {
        using var run = new SecureAggregationRun(siteCount: 3, threshold: 2);
        run.Execute();
        // A coordinator asking again (say, now claiming site-b dropped) must not get site-b's mask key shares too.
        var error = Assert.Throws<SecureAggregationException>(() => run.Clients[0].Unmask(new UnmaskRequest(["site-a", "site-c"])));
        Assert.Contains("site 'site-a'", error.Message);
        Assert.Contains("session is over", error.Message);
    }

    [Fact]
    public void Unmask_RequestOmittingThisSite_IsRefused()
    {
        using var run = new SecureAggregationRun(siteCount: 3, threshold: 2);
        var deliveries = run.AdvertiseAndShareKeys();
        run.Clients[0].MaskInput(deliveries[0], run.Contributions[0], run.Weights[0]);
        var error = Assert.Throws<SecureAggregationException>(() => run.Clients[0].Unmask(new UnmaskRequest(["site-b", "site-c"])));
        Assert.Contains("lists this site as dropped although it sent its masked input", error.Message);
    }

    [Fact]
    public void MaskInput_TamperedEnvelope_FailsAuthenticationNamingSites()
    {
        using var run = new SecureAggregationRun(siteCount: 3, threshold: 2);
        var delivery = run.AdvertiseAndShareKeys()[0];
        delivery.Shares[0].Ciphertext[5] ^= 1;
        var error = Assert.Throws<SecureAggregationException>(() => run.Clients[0].MaskInput(delivery, run.Contributions[0], 5));
        Assert.Contains("the shares from site 'site-b' to site 'site-a' fail authentication", error.Message);
    }

    [Fact]
    public void Receive_MessageTwice_IsRefused()
    {
        using var run = new SecureAggregationRun(siteCount: 3, threshold: 2);
        var keys = run.Clients[0].AdvertiseKeys();
        run.Server.Receive(keys);
        var error = Assert.Throws<SecureAggregationException>(() => run.Server.Receive(keys));
        Assert.Contains("site 'site-a' advertised keys twice", error.Message);
    }

    [Fact]
    public void Receive_OutOfOrder_IsRefused()
    {
        using var run = new SecureAggregationRun(siteCount: 3, threshold: 2);
        var error = Assert.Throws<SecureAggregationException>(() => run.Server.Receive(new MaskedInput("site-a", new ulong[5])));
        Assert.Contains("a message from site 'site-a' arrived while the session is at step AdvertiseKeys", error.Message);
    }

    [Fact]
    public void Encoding_ThatCouldOverflow_IsRefused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FixedPointEncoding { FractionBits = 31 }.Validate());
        Assert.Contains("would overflow the signed 64-bit sum", error.Message);
        new FixedPointEncoding().Validate();
    }

    [Fact]
    public void Shamir_AnyThresholdSubset_RebuildsSecret()
    {
        var secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        secret[0] = 0; // a leading zero byte must survive the round trip
        var shares = ShamirSecretSharing.Split(secret, threshold: 3, shareCount: 5);
        Assert.Equal(secret, ShamirSecretSharing.Combine([(5, shares[4]), (2, shares[1]), (4, shares[3])], 3, 32));
        Assert.Equal(secret, ShamirSecretSharing.Combine([(1, shares[0]), (3, shares[2]), (2, shares[1])], 3, 32));
        // Two shares of a 3-of-5 secret interpolate a line through them: a random field element, almost surely too long.
        Assert.Throws<ArgumentException>(() => ShamirSecretSharing.Combine([(1, shares[0]), (3, shares[2])], 2, 32));
    }
}
