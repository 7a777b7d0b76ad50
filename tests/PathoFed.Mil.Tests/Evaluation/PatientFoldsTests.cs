using PathoFed.Mil.Data;
using PathoFed.Mil.Evaluation;

namespace PathoFed.Mil.Tests.Evaluation;

public sealed class PatientFoldsTests
{
    /// <summary>40 patients, 1-3 slides each, classes 0/1/2 by patient with a minority class.</summary>
    private static List<MilExample> Cohort()
    {
        var examples = new List<MilExample>();
        for (int p = 0; p < 40; p++)
        {
            int classIndex = p % 5 == 0 ? 2 : p % 2;
            for (int s = 0; s <= p % 3; s++) examples.Add(Example($"s{p}-{s}", $"p{p}", MilTarget.Class(classIndex)));
        }
        return examples;
    }

    private static MilExample Example(string slide, string patient, MilTarget target) =>
        new(new MilBag(slide, 1, 1, [0f]), target, patient);

    [Fact]
    public void StratifiedKFold_PartitionsPatientsAndKeepsEveryClassInEveryFold()
    {
        List<MilExample> examples = Cohort();
        IReadOnlyList<MilFold> folds = PatientFolds.StratifiedKFold(examples, MilTask.Classify, 5, seed: 42);

        Assert.Equal(5, folds.Count);
        Assert.Equal(Enumerable.Range(0, examples.Count), folds.SelectMany(f => f.TestIndices).Order());
        foreach (MilFold fold in folds)
        {
            Assert.Equal(Enumerable.Range(0, examples.Count), fold.TrainIndices.Concat(fold.TestIndices).Order());
            var testPatients = fold.TestIndices.Select(i => examples[i].PatientId).ToHashSet();
            Assert.DoesNotContain(fold.TrainIndices, i => testPatients.Contains(examples[i].PatientId));
            Assert.Equal([0, 1, 2], fold.TestIndices.Select(i => examples[i].Target.ClassIndex).Distinct().Order());
            // Strata of 8/16/16 patients dealt to 5 folds: each fold gets 1-2 of class 2 and 3-4 of classes 0 and 1.
            int PatientsOfClass(int c) => fold.TestIndices.Where(i => examples[i].Target.ClassIndex == c).Select(i => examples[i].PatientId).Distinct().Count();
            Assert.InRange(PatientsOfClass(2), 1, 2);
            Assert.InRange(PatientsOfClass(0), 3, 4);
            Assert.InRange(PatientsOfClass(1), 3, 4);
        }
    }

    [Fact]
    public void StratifiedKFold_SameSeedAnyInputOrder_SameFolds()
    {
        List<MilExample> examples = Cohort();
        List<MilExample> reversed = Enumerable.Reverse(examples).ToList();

        static string[][] TestSlides(IReadOnlyList<MilExample> ex, int seed) =>
            PatientFolds.StratifiedKFold(ex, MilTask.Classify, 4, seed).Select(f => f.TestIndices.Select(i => ex[i].SlideId).Order().ToArray()).ToArray();

        Assert.Equal(TestSlides(examples, 3), TestSlides(examples, 3));
        Assert.Equal(TestSlides(examples, 3), TestSlides(reversed, 3));
        Assert.NotEqual(TestSlides(examples, 3), TestSlides(examples, 4));
    }

    [Fact]
    public void StratifiedKFold_Survival_SpreadsEventsOverFolds()
    {
        List<MilExample> examples = Enumerable.Range(0, 12)
            .Select(p => Example($"s{p}", $"p{p}", MilTarget.Survival(p + 1, relapse: p % 3 == 0))).ToList();
        IReadOnlyList<MilFold> folds = PatientFolds.StratifiedKFold(examples, MilTask.Survival, 4, seed: 1);
        Assert.All(folds, f => Assert.Single(f.TestIndices, i => examples[i].Target.Event));
    }

    [Fact]
    public void StratifiedKFold_FewerPatientsThanFolds_Explains()
    {
        List<MilExample> examples = [Example("a", "p1", MilTarget.Class(0)), Example("b", "p1", MilTarget.Class(1)), Example("c", "p2", MilTarget.Class(1))];
        var error = Assert.Throws<MilException>(() => PatientFolds.StratifiedKFold(examples, MilTask.Classify, 3, 0));
        Assert.Contains("Cannot make 3 folds from 2 patients", error.Message);
    }

    [Fact]
    public void StratifiedKFold_ClassWithTooFewPatients_NamesClass()
    {
        var dataset = new MilDataset(MilTask.Classify,
            [.. Enumerable.Range(0, 6).Select(p => Example($"s{p}", $"p{p}", MilTarget.Class(p == 0 ? 1 : 0)))],
            ["MSS", "MSI"], new FeatureOrigin("x", "y", 1), []);
        var error = Assert.Throws<MilException>(() => PatientFolds.StratifiedKFold(dataset, 3, 0));
        Assert.Contains("class 'MSI' has 1 patients", error.Message);
        Assert.Contains("use at most 1 folds or add patients", error.Message);
    }

    [Fact]
    public void StratifiedKFold_SurvivalWithoutEvents_Explains()
    {
        List<MilExample> examples = [.. Enumerable.Range(0, 6).Select(p => Example($"s{p}", $"p{p}", MilTarget.Survival(p, relapse: false)))];
        var error = Assert.Throws<MilException>(() => PatientFolds.StratifiedKFold(examples, MilTask.Survival, 3, 0));
        Assert.Contains("no slide has an event", error.Message);
    }

    [Fact]
    public void SplitForValidation_PatientLevelStratifiedAndDeterministic()
    {
        List<MilExample> examples = Cohort();
        MilFold fold = PatientFolds.StratifiedKFold(examples, MilTask.Classify, 5, seed: 42)[0];

        TrainValidationSplit split = PatientFolds.SplitForValidation(examples, MilTask.Classify, fold.TrainIndices, 0.25, seed: 9);

        Assert.Equal(fold.TrainIndices, split.TrainIndices.Concat(split.ValidationIndices).Order());
        var validationPatients = split.ValidationIndices.Select(i => examples[i].PatientId).ToHashSet();
        Assert.DoesNotContain(split.TrainIndices, i => validationPatients.Contains(examples[i].PatientId));
        Assert.Equal(8, validationPatients.Count); // a quarter of each stratum: 6/12/12 patients -> 2 (1.5 rounded up) + 3 + 3
        Assert.Equal([0, 1, 2], split.ValidationIndices.Select(i => examples[i].Target.ClassIndex).Distinct().Order());
        Assert.Equal(split, PatientFolds.SplitForValidation(examples, MilTask.Classify, fold.TrainIndices, 0.25, seed: 9), SplitComparer.Instance);
    }

    [Fact]
    public void SplitForValidation_TinySet_KeepsOnePatientEachSide()
    {
        List<MilExample> examples = [Example("a", "p1", MilTarget.Class(0)), Example("b", "p2", MilTarget.Class(1))];
        TrainValidationSplit split = PatientFolds.SplitForValidation(examples, MilTask.Classify, [0, 1], 0.2, seed: 0);
        Assert.Single(split.TrainIndices);
        Assert.Single(split.ValidationIndices);
    }

    [Fact]
    public void SplitForValidation_OnePatient_Explains()
    {
        List<MilExample> examples = [Example("a", "p1", MilTarget.Class(0)), Example("b", "p1", MilTarget.Class(1))];
        var error = Assert.Throws<MilException>(() => PatientFolds.SplitForValidation(examples, MilTask.Classify, [0, 1], 0.2, 0));
        Assert.Contains("the training set has 1 patient(s); at least 2 are needed", error.Message);
    }

    private sealed class SplitComparer : IEqualityComparer<TrainValidationSplit>
    {
        public static readonly SplitComparer Instance = new();

        public bool Equals(TrainValidationSplit? x, TrainValidationSplit? y) =>
            x!.TrainIndices.SequenceEqual(y!.TrainIndices) && x.ValidationIndices.SequenceEqual(y.ValidationIndices);

        public int GetHashCode(TrainValidationSplit obj) => obj.TrainIndices.Count;
    }
}
