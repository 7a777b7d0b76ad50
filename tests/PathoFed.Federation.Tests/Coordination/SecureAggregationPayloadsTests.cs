using System.Buffers.Binary;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.SecureAggregation;

namespace PathoFed.Federation.Tests.Coordination;

public sealed class SecureAggregationPayloadsTests
{
    private static MaskedSubmission Submission(int values, int seed = 3)
    {
        var rng = new Random(seed);
        var words = new ulong[values];
        for (var i = 0; i < values; i++) words[i] = (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40);
        if (values > 0) words[0] = ulong.MaxValue; // wrap-around values must survive byte for byte
        return new MaskedSubmission(new MaskedInput("site-é", words), new Dictionary<string, double> { ["val_auc"] = 0.75, ["val_loss"] = double.NaN });
    }

    [Fact]
    public void Masked_RoundTrips_ValuesSiteAndMetrics()
    {
        var submission = Submission(1_001);

        var read = SecureAggregationPayloads.DeserializeMasked(SecureAggregationPayloads.SerializeMasked(submission), "test");

        Assert.Equal("site-é", read.Input.Site);
        Assert.Equal(submission.Input.Values, read.Input.Values);
        Assert.Equal(0.75, read.Metrics["val_auc"]);
        Assert.True(double.IsNaN(read.Metrics["val_loss"]));
    }

    [Fact]
    public void Masked_TakesEightBytesPerValuePlusASmallHeader()
    {
        var payload = SecureAggregationPayloads.SerializeMasked(Submission(50_000));

        // Base64 inside JSON took 400,000 × 4/3 ≈ 533,336 bytes for the same vector.
        Assert.InRange(payload.Length, 400_000, 400_000 + 200);
        Assert.Equal("PFM1"u8.ToArray(), payload[..4]);
    }

    [Fact]
    public void Masked_EmptyVector_RoundTrips()
    {
        var read = SecureAggregationPayloads.DeserializeMasked(SecureAggregationPayloads.SerializeMasked(Submission(0)), "test");

        Assert.Empty(read.Input.Values);
    }

    public static TheoryData<string, string> MalformedFrames => new()
    {
        { "json", "does not start with 'PFM1'" },
        { "short", "does not start with 'PFM1'" },
        { "header-too-long", "header claims" },
        { "negative-header", "header claims" },
        { "ragged-vector", "not a whole number of 8-byte values" },
        { "bad-header-json", "header is not valid" },
        { "header-without-site", "header is not valid" },
    };

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public void Masked_MalformedFrame_IsRefusedNamingTheSourceAndCause(string damage, string expected)
    {
        var good = SecureAggregationPayloads.SerializeMasked(Submission(10));
        var headerLength = BinaryPrimitives.ReadInt32LittleEndian(good.AsSpan(4));
        byte[] payload = damage switch
        {
            // What a site of the previous version sent: the whole submission as JSON.
            "json" => SecureAggregationPayloads.Serialize(new { input = new { site = "site-a", values = "AAAA" }, metrics = new { } }),
            "short" => good[..6],
            "header-too-long" => WithHeaderLength(good, good.Length),
            "negative-header" => WithHeaderLength(good, -1),
            "ragged-vector" => good[..^3],
            "bad-header-json" => Frame("{\"site\": "u8.ToArray(), 2),
            "header-without-site" => Frame("{\"metrics\": {}}"u8.ToArray(), 2),
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        };
        Assert.True(headerLength > 0);

        var error = Assert.Throws<SecureAggregationException>(() => SecureAggregationPayloads.DeserializeMasked(payload, "round 4, site 'site-b'"));

        Assert.Contains("round 4, site 'site-b'", error.Message);
        Assert.Contains(expected, error.Message);
    }

    private static byte[] WithHeaderLength(byte[] frame, int length)
    {
        var copy = (byte[])frame.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(4), length);
        return copy;
    }

    private static byte[] Frame(byte[] header, int values)
    {
        var frame = new byte[8 + header.Length + 8 * values];
        "PFM1"u8.CopyTo(frame);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(4), header.Length);
        header.CopyTo(frame, 8);
        return frame;
    }
}
