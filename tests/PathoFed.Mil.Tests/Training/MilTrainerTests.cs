using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Training;

namespace PathoFed.Mil.Tests.Training;

public sealed class MilTrainerTests
{
    private const int Dim = 16;

    private static MilTrainingOptions Options(MilHeadKind kind = MilHeadKind.Abmil, MilTask task = MilTask.Classify) => new()
    {
        Head = new MilHeadConfig { Kind = kind, Task = task, InputDim = Dim, EncoderDim = 16, AttentionDim = 8, MlpHiddenDims = [8, 4], Dropout = 0.25f },
        Epochs = 3, BatchSize = 4, LearningRate = 1e-2f, Seed = 7, MaxInstancesPerBag = 40, Patience = 0, BlasThreads = 2,
    };

    [Theory]
    [InlineData(MilHeadKind.Abmil, MilTask.Classify)]
    [InlineData(MilHeadKind.Chowder, MilTask.Classify)]
    [InlineData(MilHeadKind.MeanPool, MilTask.Survival)]
    public void Train_SameSeed_GivesBitIdenticalWeights(MilHeadKind kind, MilTask task)
    {
        var examples = Examples(24, task, seed: 1);
        var first = MilTrainer.Train(examples, null, Options(kind, task)).Head.GetParameters();
        var second = MilTrainer.Train(examples, null, Options(kind, task)).Head.GetParameters();
        var otherSeed = MilTrainer.Train(examples, null, Options(kind, task) with { Seed = 8 }).Head.GetParameters();

        for (var p = 0; p < first.Count; p++)
            Assert.True(first[p].Values.AsSpan().SequenceEqual(second[p].Values), $"{first[p].Name} differs between identical runs");
        Assert.Contains(Enumerable.Range(0, first.Count), p => !first[p].Values.AsSpan().SequenceEqual(otherSeed[p].Values));
    }

    [Fact]
    public void Train_ValidationLossRises_StopsAfterPatienceAndRestoresBestWeights()
    {
        // Validation labels are the opposite of the training rule, so validation loss rises once the head learns.
        var train = MilTestData.Examples(MilTestData.WitnessClassification(40, Dim, 0.1, seed: 3));
        var validation = MilTestData.Examples(MilTestData.WitnessClassification(20, Dim, 0.1, seed: 4))
            .Select(e => e with { Target = MilTarget.Class(1 - e.Target.ClassIndex) }).ToList();
        var options = Options() with { Epochs = 60, Patience = 3, MaxInstancesPerBag = 0 };

        var result = MilTrainer.Train(train, validation, options);

        Assert.Equal(result.BestEpoch + 3, result.History.Count);
        Assert.True(result.History.Count < 60);
        var best = result.History[result.BestEpoch - 1].ValidationLoss!.Value;
        Assert.Equal(result.History.Min(r => r.ValidationLoss!.Value), best);
        Assert.Equal(best, ValidationLoss(result.Head, validation), 1e-9);
        Assert.NotEqual(best, result.History[^1].ValidationLoss!.Value);
    }

    [Fact]
    public void Train_ReportsEachEpochWithValidationMetric()
    {
        var reports = new List<EpochReport>();
        var train = Examples(16, MilTask.Classify, seed: 2);
        var validation = Examples(8, MilTask.Classify, seed: 3);

        var result = MilTrainer.Train(train, validation, Options(), new SynchronousProgress(reports));

        Assert.Equal(3, reports.Count);
        Assert.Equal(result.History, reports);
        Assert.All(reports, r => Assert.InRange(r.ValidationMetric!.Value, 0, 1));
    }

    [Fact]
    public void TrainEpochs_FederatedRound_ReturnsNewParametersAndExampleCount()
    {
        var examples = Examples(12, MilTask.Classify, seed: 5);
        var head = MilHeads.Create(Options().Head!, seed: 1);
        var global = head.GetParameters();

        var update = MilTrainer.TrainEpochs(head, examples, epochs: 2, Options());

        Assert.Equal(12, update.ExampleCount);
        Assert.Equal(2, update.History.Count);
        Assert.Equal(global.Select(t => t.Name), update.Parameters.Select(t => t.Name));
        Assert.True(Distance(global, update.Parameters) > 0);
    }

    [Fact]
    public void TrainEpochs_ProximalTerm_KeepsParametersCloserToTheStart()
    {
        var examples = Examples(12, MilTask.Classify, seed: 6);
        var config = Options().Head!;
        var global = MilHeads.Create(config, seed: 1).GetParameters();

        double Drift(float mu)
        {
            var head = MilHeads.Create(config, seed: 1);
            head.SetParameters(global);
            var update = MilTrainer.TrainEpochs(head, examples, 3, Options() with { ProximalMu = mu, WeightDecay = 0 });
            return Distance(global, update.Parameters);
        }

        Assert.True(Drift(50f) < Drift(0f));
    }

    [Fact]
    public void Train_CancelledToken_Throws()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => MilTrainer.Train(Examples(4, MilTask.Classify, 1), null, Options(), ct: cancellation.Token));
    }

    [Fact]
    public void Train_ExampleWithNaN_ThrowsNamingSlideAndSet()
    {
        var examples = Examples(4, MilTask.Classify, seed: 1);
        examples[2].Bag.Instances[Dim * 3 + 5] = float.NaN;

        var error = Assert.Throws<MilException>(() => MilTrainer.Train(examples, null, Options()));

        Assert.Contains(examples[2].SlideId, error.Message);
        Assert.Contains("training set", error.Message);
        Assert.Contains("instance 3, feature 5", error.Message);
    }

    [Fact]
    public void Train_ClassOutsideHead_ThrowsNamingSlide()
    {
        var examples = Examples(4, MilTask.Classify, seed: 1);
        examples[1] = examples[1] with { Target = MilTarget.Class(5) };
        var error = Assert.Throws<MilException>(() => MilTrainer.Train(examples, null, Options()));
        Assert.Contains(examples[1].SlideId, error.Message);
        Assert.Contains("class 5", error.Message);
    }

    [Fact]
    public void Train_NoHeadConfiguration_ThrowsMilException()
    {
        var error = Assert.Throws<MilException>(() => MilTrainer.Train(Examples(2, MilTask.Classify, 1), null, Options() with { Head = null }));
        Assert.Contains("MilTrainingOptions.Head", error.Message);
    }

    [Fact]
    public void Predict_Classification_GivesProbabilitiesAndOneScorePerInstance()
    {
        var head = MilHeads.Create(Options().Head!, seed: 1);
        var bag = MilTestData.RandomBag("slide-p", 17, Dim, new Random(1));

        var prediction = MilTrainer.Predict(head, bag);

        Assert.Equal("slide-p", prediction.SlideId);
        Assert.Equal(1.0, prediction.Probabilities.Sum(), 1e-6);
        Assert.Null(prediction.Risk);
        Assert.Equal(17, prediction.InstanceScores.Length);
    }

    private static double ValidationLoss(IMilHead head, IReadOnlyList<MilExample> examples)
    {
        var outputs = new float[examples.Count * 2];
        for (var i = 0; i < examples.Count; i++) head.Forward(examples[i].Bag).Outputs.CopyTo(outputs.AsSpan(2 * i));
        return MilLoss.For(MilTask.Classify, 2).Compute(outputs, examples.Select(e => e.Target).ToArray(), new float[outputs.Length]);
    }

    private static double Distance(IReadOnlyList<NamedTensor> a, IReadOnlyList<NamedTensor> b)
    {
        var sum = 0.0;
        for (var p = 0; p < a.Count; p++)
            for (var i = 0; i < a[p].Values.Length; i++) sum += Math.Pow(a[p].Values[i] - b[p].Values[i], 2);
        return Math.Sqrt(sum);
    }

    private static List<MilExample> Examples(int count, MilTask task, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(i => new MilExample(
            MilTestData.RandomBag($"slide-{seed}-{i}", rng.Next(5, 80), Dim, rng),
            task == MilTask.Classify ? MilTarget.Class(i % 2) : MilTarget.Survival(1 + rng.Next(10), i % 3 != 0),
            $"patient-{i}")).ToList();
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests want reports in order on the calling thread.</summary>
    private sealed class SynchronousProgress(List<EpochReport> reports) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => reports.Add(value);
    }
}
