using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Training;
using Xunit.Abstractions;

namespace PathoFed.Mil.Tests.Training;

/// <summary>
/// The heads learn a known generative process: positive bags hide ~10% witness instances from a shifted distribution among
/// negatives (200 bags of 50–200 instances in 32 dimensions; 140 train, 60 held out).
/// </summary>
public sealed class LearningTests(ITestOutputHelper output)
{
    private const int Dim = 32;

    [Fact]
    public void Abmil_PlantedWitnesses_SeparatesHeldOutBagsAndAttendsToWitnesses()
    {
        var bags = MilTestData.WitnessClassification(200, Dim, witnessFraction: 0.1, seed: 21);
        var head = Train(MilHeadKind.Abmil, bags[..140]);

        var heldOut = bags[140..];
        var auc = HeldOutAuc(head, heldOut);
        output.WriteLine($"ABMIL held-out AUC {auc:F3}");
        Assert.True(auc >= 0.95, $"held-out AUC {auc:F3}");

        // Attention mass on witnesses in positive bags, against the witnesses' share of the bag (≈ 0.1).
        double mass = 0, share = 0;
        var positives = 0;
        foreach (var bag in heldOut.Where(b => b.Example.Target.ClassIndex == 1))
        {
            var scores = MilTrainer.Predict(head, bag.Example.Bag).InstanceScores;
            Assert.Equal(1.0, scores.Sum(), 1e-4);
            for (var i = 0; i < scores.Length; i++)
                if (bag.IsWitness[i]) mass += scores[i];
            share += bag.WitnessFraction;
            positives++;
        }

        output.WriteLine($"ABMIL attention on witnesses {mass / positives:F3}, their share {share / positives:F3}");
        Assert.True(mass / positives >= 0.5, $"mean attention on witnesses {mass / positives:F3} (their share {share / positives:F3})");
    }

    [Theory]
    [InlineData(MilHeadKind.Chowder, 0.95)]
    [InlineData(MilHeadKind.MeanPool, 0.85)]
    public void OtherHeads_PlantedWitnesses_SeparateHeldOutBags(MilHeadKind kind, double minimumAuc)
    {
        var bags = MilTestData.WitnessClassification(200, Dim, witnessFraction: 0.1, seed: 22);
        var head = Train(kind, bags[..140]);
        var auc = HeldOutAuc(head, bags[140..]);
        output.WriteLine($"{kind} held-out AUC {auc:F3}");
        Assert.True(auc >= minimumAuc, $"{kind} held-out AUC {auc:F3}");
    }

    [Fact]
    public void Abmil_SurvivalWithHazardFromWitnessFraction_RanksHeldOutBags()
    {
        var bags = MilTestData.WitnessSurvival(200, Dim, seed: 23);
        var options = new MilTrainingOptions
        {
            Head = new MilHeadConfig { Kind = MilHeadKind.Abmil, Task = MilTask.Survival, InputDim = Dim, EncoderDim = 32, AttentionDim = 16, Dropout = 0.1f },
            Epochs = 40, BatchSize = 32, LearningRate = 2e-3f, Seed = 1, Patience = 0,
        };
        var head = MilTrainer.Train(MilTestData.Examples(bags[..140]), null, options).Head;

        var heldOut = bags[140..];
        var risks = heldOut.Select(b => MilTrainer.Predict(head, b.Example.Bag).Risk!.Value).ToArray();
        var cIndex = RankMetrics.ConcordanceIndex(risks, heldOut.Select(b => b.Example.Target).ToArray());
        output.WriteLine($"ABMIL survival held-out C-index {cIndex:F3}");
        Assert.True(cIndex >= 0.75, $"held-out C-index {cIndex:F3}");
    }

    private static IMilHead Train(MilHeadKind kind, IEnumerable<MilTestData.PlantedBag> train)
    {
        var options = new MilTrainingOptions
        {
            Head = new MilHeadConfig
            {
                Kind = kind, Task = MilTask.Classify, InputDim = Dim, EncoderDim = 32, AttentionDim = 16, ExtremeCount = 5,
                MlpHiddenDims = [32, 16], Dropout = 0.1f,
            },
            Epochs = 30, BatchSize = 8, LearningRate = 2e-3f, Seed = 1, Patience = 0,
        };
        return MilTrainer.Train(MilTestData.Examples(train), null, options).Head;
    }

    private static double HeldOutAuc(IMilHead head, IReadOnlyList<MilTestData.PlantedBag> bags)
    {
        var scores = bags.Select(b => MilTrainer.Predict(head, b.Example.Bag).Probabilities[1]).ToArray();
        return RankMetrics.Auc(scores, bags.Select(b => b.Example.Target.ClassIndex == 1).ToArray());
    }
}
