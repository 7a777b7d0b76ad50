using PathoFed.Federation.Updates;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Tests.Updates;

public sealed class UpdateValidatorTests
{
    private const int Round = 4;
    private static readonly NamedTensor[] Global = TestParameters.Random(seed: 1);
    private readonly RoundNonces _nonces = RoundNonces.Issue(Round, ["site-a", "site-b"]);

    private UpdateValidator NewValidator(double maxNorm = 10) =>
        new(Global, _nonces, new UpdateValidationOptions { MaxUpdateL2Norm = maxNorm });

    private SiteUpdate GoodUpdate(string site = "site-a") =>
        new(site, Round, _nonces.BySite[site], TestParameters.Shifted(Global, 0.1f), 50, new Dictionary<string, double> { ["loss"] = 0.3 });

    [Fact]
    public void Accept_GoodUpdate_RecordsSite()
    {
        var validator = NewValidator();
        validator.Accept(GoodUpdate());
        Assert.Equal(["site-a"], validator.AcceptedSites);
    }

    [Fact]
    public void Issue_NoncesAreDistinctRandomHex()
    {
        var other = RoundNonces.Issue(Round, ["site-a", "site-b"]);
        Assert.NotEqual(_nonces.BySite["site-a"], _nonces.BySite["site-b"]);
        Assert.NotEqual(_nonces.BySite["site-a"], other.BySite["site-a"]);
        Assert.Equal(2 * RoundNonces.NonceBytes, _nonces.BySite["site-a"].Length);
    }

    [Fact]
    public void Accept_WrongRound_ThrowsNamingSiteAndRounds()
    {
        var error = Assert.Throws<InvalidSiteUpdateException>(() => NewValidator().Accept(GoodUpdate() with { Round = 3 }));
        Assert.Contains("site 'site-a'", error.Message);
        Assert.Contains("round 3", error.Message);
        Assert.Contains("open round is 4", error.Message);
    }

    [Fact]
    public void Accept_WrongNonce_Throws()
    {
        var error = Assert.Throws<InvalidSiteUpdateException>(() => NewValidator().Accept(GoodUpdate() with { Nonce = _nonces.BySite["site-b"] }));
        Assert.Contains("site 'site-a' for round 4", error.Message);
        Assert.Contains("nonce", error.Message);
    }

    [Fact]
    public void Accept_SiteNotSampled_Throws()
    {
        var error = Assert.Throws<InvalidSiteUpdateException>(() => NewValidator().Accept(GoodUpdate() with { Site = "site-z" }));
        Assert.Contains("site 'site-z'", error.Message);
        Assert.Contains("not sampled", error.Message);
    }

    [Fact]
    public void Accept_Replay_Throws()
    {
        var validator = NewValidator();
        var update = GoodUpdate();
        validator.Accept(update);
        var error = Assert.Throws<InvalidSiteUpdateException>(() => validator.Accept(update));
        Assert.Contains("already accepted", error.Message);
        Assert.Contains("site 'site-a' for round 4", error.Message);
    }

    [Fact]
    public void Accept_MissingTensor_Throws()
    {
        var error = Assert.Throws<InvalidSiteUpdateException>(() => NewValidator().Accept(GoodUpdate() with { Tensors = [Global[0]] }));
        Assert.Contains("1 tensors, the global model has 2", error.Message);
    }

    [Fact]
    public void Accept_RenamedTensor_ThrowsNamingTensor()
    {
        var tensors = TestParameters.Shifted(Global, 0.1f);
        tensors[1] = tensors[1] with { Name = "head.b" };
        var error = Assert.Throws<InvalidSiteUpdateException>(() => NewValidator().Accept(GoodUpdate() with { Tensors = tensors }));
        Assert.Contains("'head.b'", error.Message);
        Assert.Equal("head.b", error.TensorName);
    }

    [Fact]
    public void Accept_WrongShape_ThrowsNamingTensorAndShapes()
    {
        var tensors = TestParameters.Shifted(Global, 0.1f);
        tensors[0] = tensors[0] with { Shape = [4, 4] };
        var error = Assert.Throws<InvalidSiteUpdateException>(() => NewValidator().Accept(GoodUpdate() with { Tensors = tensors }));
        Assert.Contains("tensor 'head.weight' has shape [4,4], the global model's is [2,8]", error.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Accept_NonFiniteValue_ThrowsNamingTensorAndIndex(float bad)
    {
        var tensors = TestParameters.Shifted(Global, 0.1f);
        tensors[1].Values[1] = bad;
        var error = Assert.Throws<InvalidSiteUpdateException>(() => NewValidator().Accept(GoodUpdate() with { Tensors = tensors }));
        Assert.Contains("tensor 'head.bias'", error.Message);
        Assert.Contains("at index 1", error.Message);
    }

    [Fact]
    public void Accept_NormAboveBound_ThrowsWithNormAndBound()
    {
        // Shift of 1 on 18 values: norm √18 ≈ 4.24.
        var error = Assert.Throws<InvalidSiteUpdateException>(
            () => NewValidator(maxNorm: 4).Accept(GoodUpdate() with { Tensors = TestParameters.Shifted(Global, 1f) }));
        Assert.Contains("4.24264", error.Message);
        Assert.Contains("above the bound 4", error.Message);
    }

    [Fact]
    public void Accept_ZeroExamples_Throws()
    {
        var error = Assert.Throws<InvalidSiteUpdateException>(() => NewValidator().Accept(GoodUpdate() with { ExampleCount = 0 }));
        Assert.Contains("example count is 0", error.Message);
    }
}
