using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Training;

namespace PathoFed.Mil.Tests.Heads;

public sealed class HeadGradientTests
{
    private const int Dim = 6;

    // The 2-instance bag is smaller than CHOWDER's R = 3, so the padding path is checked too.
    private static readonly int[] BagSizes = [5, 9, 2, 13, 4, 7];

    public static TheoryData<string> Architectures() => ["abmil", "abmil-no-encoder", "chowder", "meanpool"];

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Backward_WeightedCrossEntropy_MatchesFiniteDifferencesForEveryParameter(string architecture)
    {
        var head = MilHeads.Create(Config(architecture, MilTask.Classify), seed: 3);
        var loss = MilLoss.For(MilTask.Classify, 3, [1f, 2f, 0.5f]);
        GradientCheck.AssertMatchesFiniteDifferences(head, ClassificationBatch(), loss);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Backward_CoxWithTies_MatchesFiniteDifferencesForEveryParameter(string architecture)
    {
        var head = MilHeads.Create(Config(architecture, MilTask.Survival), seed: 4);
        // The partial likelihood only compares risks, so shifting them all (the output bias) changes nothing.
        var outputBias = head.Parameters[^1].Name;
        GradientCheck.AssertMatchesFiniteDifferences(head, SurvivalBatch(), new CoxPartialLikelihoodLoss(), zeroByDesign: new HashSet<string> { outputBias });
    }

    [Theory]
    [InlineData("abmil")]
    [InlineData("chowder")]
    [InlineData("meanpool")]
    public void Backward_WithDropoutUnderAFixedMask_MatchesFiniteDifferences(string architecture)
    {
        // Seed 6: CHOWDER's ranking is piecewise, and with seed 5 two tile scores lie within one finite-difference step of
        // each other, which puts a kink inside the stencil (the gradient itself is right there too).
        var head = MilHeads.Create(Config(architecture, MilTask.Classify) with { Dropout = 0.3f }, seed: 6);
        var loss = MilLoss.For(MilTask.Classify, 3);
        GradientCheck.AssertMatchesFiniteDifferences(head, ClassificationBatch(), loss, maskSeed: 99);
    }

    internal static MilHeadConfig Config(string architecture, MilTask task) => architecture switch
    {
        "abmil" => new MilHeadConfig { Kind = MilHeadKind.Abmil, Task = task, InputDim = Dim, ClassCount = 3, EncoderDim = 5, AttentionDim = 4, Dropout = 0 },
        "abmil-no-encoder" => new MilHeadConfig { Kind = MilHeadKind.Abmil, Task = task, InputDim = Dim, ClassCount = 3, EncoderDim = 0, AttentionDim = 4, Dropout = 0 },
        "chowder" => new MilHeadConfig { Kind = MilHeadKind.Chowder, Task = task, InputDim = Dim, ClassCount = 3, ExtremeCount = 3, MlpHiddenDims = [5, 4], Dropout = 0 },
        "meanpool" => new MilHeadConfig { Kind = MilHeadKind.MeanPool, Task = task, InputDim = Dim, ClassCount = 3, EncoderDim = 5, Dropout = 0 },
        _ => throw new ArgumentOutOfRangeException(nameof(architecture)),
    };

    private static List<MilExample> ClassificationBatch()
    {
        var rng = new Random(11);
        return BagSizes.Select((n, b) => new MilExample(MilTestData.RandomBag($"s{b}", n, Dim, rng), MilTarget.Class(b % 3), $"p{b}")).ToList();
    }

    private static List<MilExample> SurvivalBatch()
    {
        var rng = new Random(12);
        // Times 5 and 2 are tied, with events on both sides of the tie and a censored bag inside it.
        double[] times = [3, 5, 5, 2, 5, 2];
        bool[] events = [true, true, false, true, true, true];
        return BagSizes.Select((n, b) => new MilExample(MilTestData.RandomBag($"s{b}", n, Dim, rng), MilTarget.Survival(times[b], events[b]), $"p{b}")).ToList();
    }
}
