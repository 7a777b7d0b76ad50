using PathoFed.Federation.Sites;
using PathoFed.Federation.Tests.Coordination;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Tests.Sites;

/// <summary>Label skew at a site: classes it lacks, classes it numbers its own way, and its class-balanced local loss.</summary>
public sealed class SiteTrainerLabelSkewTests
{
    [Fact]
    public void BalancedClassWeights_SkewedSite_GiveEachPresentClassTheSameTotalWeight()
    {
        var examples = Enumerable.Range(0, 48).Select(i => Example(i, i < 44 ? 0 : 1)).ToArray();

        var weights = SiteTrainer.BalancedClassWeights(examples, 2);

        Assert.Equal(48f / 88, weights[0], 1e-6f);
        Assert.Equal(6f, weights[1], 1e-6f);
        Assert.Equal(44 * weights[0], 4 * weights[1], 1e-4f);
        Assert.Equal([0f, 1f], SiteTrainer.BalancedClassWeights([.. examples.Where(e => e.Target.ClassIndex == 1)], 2));
        Assert.Equal([1f, 1f], SiteTrainer.BalancedClassWeights([Example(0, 0), Example(1, 1)], 2));
    }

    [Theory]
    [InlineData("MSI")]          // a site holding one class: its labels file numbers MSI 0, the plan 1
    [InlineData("MSI", "MSS")]   // both classes, sorted by name: the plan's order reversed
    public void RunRound_SiteNumbersClassesItsOwnWay_TrainsExactlyAsWithThePlansIndices(params string[] siteClasses)
    {
        var plan = FederationFixtures.Plan(dropout: 0f);
        var inPlanOrder = FederationFixtures.Site("north", 20, seed: 5);
        if (siteClasses.Length == 1) inPlanOrder = inPlanOrder with { Examples = [.. inPlanOrder.Examples.Where(e => plan.Classes[e.Target.ClassIndex] == siteClasses[0])] };
        // The same slides as a site's own labels file would number them.
        var ownOrder = inPlanOrder with
        {
            ClassNames = siteClasses,
            Examples = [.. inPlanOrder.Examples.Select(e => e with { Target = MilTarget.Class(Array.IndexOf(siteClasses, plan.Classes[e.Target.ClassIndex])) })],
        };
        var global = Mil.Heads.MilHeads.Create(plan.HeadConfig(), plan.Seed).GetParameters();

        var expected = new SiteTrainer("north", inPlanOrder, plan).RunRound(1, global, 0f, CancellationToken.None);
        var actual = new SiteTrainer("north", ownOrder, plan).RunRound(1, global, 0f, CancellationToken.None);

        Assert.Equal(expected.ExampleCount, actual.ExampleCount);
        for (var t = 0; t < expected.Parameters.Count; t++) Assert.Equal(expected.Parameters[t].Values, actual.Parameters[t].Values);
        Assert.NotEqual(global[^1].Values, actual.Parameters[^1].Values);
    }

    [Fact]
    public void Create_SiteHasAClassThePlanLacks_IsRefusedNamingIt()
    {
        var plan = FederationFixtures.Plan();
        var site = FederationFixtures.Site("north", 10, seed: 5);
        site = site with { ClassNames = ["MSS", "other"] };

        var error = Assert.Throws<FederationException>(() => new SiteTrainer("north", site, plan));

        Assert.Contains("[other] is not among the plan's classes", error.Message);
    }

    private static MilExample Example(int i, int classIndex) =>
        new(new MilBag($"s{i}", 1, 2, [0f, 1f]), MilTarget.Class(classIndex), $"p{i}");
}
