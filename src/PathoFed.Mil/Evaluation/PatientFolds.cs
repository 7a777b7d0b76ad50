using PathoFed.Mil.Data;

namespace PathoFed.Mil.Evaluation;

/// <summary>One cross-validation fold: indices into the example list, never sharing a patient.</summary>
public sealed record MilFold(int Index, IReadOnlyList<int> TrainIndices, IReadOnlyList<int> TestIndices);

/// <summary>Training indices split again for early stopping, patient-level like the folds.</summary>
public sealed record TrainValidationSplit(IReadOnlyList<int> TrainIndices, IReadOnlyList<int> ValidationIndices);

/// <summary>
/// Patient-level stratified splits. A patient's slides always land on the same side, so no patient is both trained
/// on and tested. Each patient is stratified by its majority class (ties: the lower class index) for classification,
/// or by whether any of its slides has an event for survival. The same examples and seed give the same splits,
/// whatever order the examples come in.
/// </summary>
public static class PatientFolds
{
    /// <summary>
    /// Splits into <paramref name="foldCount"/> folds. Every stratum (class, or event/censored) must have at least
    /// <paramref name="foldCount"/> patients, so that every test fold holds every class and AUC is defined in each;
    /// otherwise this throws rather than producing folds whose metrics are undefined.
    /// </summary>
    /// <exception cref="MilException">Fewer patients than folds, or a class (or, for survival, the events) has fewer patients than folds.</exception>
    public static IReadOnlyList<MilFold> StratifiedKFold(MilDataset dataset, int foldCount, int seed) =>
        StratifiedKFold(dataset.Examples, dataset.Task, foldCount, seed, dataset.ClassNames);

    /// <inheritdoc cref="StratifiedKFold(MilDataset, int, int)"/>
    /// <param name="classNames">Names for messages; class indices are shown when absent.</param>
    public static IReadOnlyList<MilFold> StratifiedKFold(IReadOnlyList<MilExample> examples, MilTask task, int foldCount, int seed,
        IReadOnlyList<string>? classNames = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(foldCount, 2);
        List<Patient> patients = Patients(examples, task, Enumerable.Range(0, examples.Count));
        if (patients.Count < foldCount)
        {
            throw new MilException($"Cannot make {foldCount} folds from {patients.Count} patients: every fold needs its own patients; use at most {patients.Count} folds");
        }
        // Survival folds need events in every fold for a C-index; censored patients are welcome but not required.
        foreach (IGrouping<int, Patient> stratum in patients.GroupBy(p => p.Stratum).Where(s => task == MilTask.Classify || s.Key == 1))
        {
            if (stratum.Count() < foldCount)
            {
                throw new MilException(
                    $"Cannot make {foldCount} stratified folds: {StratumName(task, stratum.Key, classNames)} has {stratum.Count()} patients, so some test fold " +
                    $"would lack it and its metrics be undefined; use at most {stratum.Count()} folds or add patients");
            }
        }
        if (task == MilTask.Survival && patients.All(p => p.Stratum == 0))
        {
            throw new MilException("Cannot make survival folds: no slide has an event, so the C-index is undefined in every fold");
        }

        int[] foldOfPatient = Assign(patients, foldCount, seed);
        var folds = new MilFold[foldCount];
        for (int f = 0; f < foldCount; f++)
        {
            folds[f] = new MilFold(f, IndicesWhere(patients, foldOfPatient, fold => fold != f), IndicesWhere(patients, foldOfPatient, fold => fold == f));
        }
        return folds;
    }

    /// <summary>
    /// Splits <paramref name="trainIndices"/> into training and validation (for early stopping): about
    /// <paramref name="validationFraction"/> of each stratum's patients, at least one patient on each side.
    /// </summary>
    /// <exception cref="MilException">The indices hold fewer than 2 patients.</exception>
    public static TrainValidationSplit SplitForValidation(IReadOnlyList<MilExample> examples, MilTask task,
        IReadOnlyList<int> trainIndices, double validationFraction, int seed)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must lie strictly between 0 and 1");
        }
        List<Patient> patients = Patients(examples, task, trainIndices);
        if (patients.Count < 2)
        {
            throw new MilException($"Cannot hold out validation patients: the training set has {patients.Count} patient(s); at least 2 are needed");
        }
        var random = new Random(seed);
        var isValidation = new bool[patients.Count];
        foreach (IGrouping<int, int> stratum in Enumerable.Range(0, patients.Count).GroupBy(i => patients[i].Stratum).OrderBy(g => g.Key))
        {
            int[] members = Shuffled(stratum.ToArray(), random);
            int take = (int)Math.Round(validationFraction * members.Length, MidpointRounding.AwayFromZero);
            foreach (int member in members.Take(take)) isValidation[member] = true;
        }
        // Tiny strata can round to nothing (or everything); keep one patient on each side.
        if (!isValidation.Contains(true)) isValidation[Shuffled(Enumerable.Range(0, patients.Count).ToArray(), random)[0]] = true;
        if (!isValidation.Contains(false)) isValidation[Shuffled(Enumerable.Range(0, patients.Count).ToArray(), random)[0]] = false;

        int[] side = isValidation.Select(v => v ? 1 : 0).ToArray();
        return new TrainValidationSplit(IndicesWhere(patients, side, s => s == 0), IndicesWhere(patients, side, s => s == 1));
    }

    /// <summary>
    /// Shuffles each stratum's patients with the seed, then deals them one at a time to the fold holding fewest patients of
    /// that stratum (ties: fewest slides, then lowest index), which balances both class mix and fold size.
    /// </summary>
    private static int[] Assign(List<Patient> patients, int foldCount, int seed)
    {
        var random = new Random(seed);
        var foldOf = new int[patients.Count];
        var slidesInFold = new int[foldCount];
        foreach (IGrouping<int, int> stratum in Enumerable.Range(0, patients.Count).GroupBy(i => patients[i].Stratum).OrderBy(g => g.Key))
        {
            var stratumInFold = new int[foldCount];
            foreach (int patient in Shuffled(stratum.ToArray(), random))
            {
                int best = 0;
                for (int f = 1; f < foldCount; f++)
                {
                    if ((stratumInFold[f], slidesInFold[f]).CompareTo((stratumInFold[best], slidesInFold[best])) < 0) best = f;
                }
                foldOf[patient] = best;
                stratumInFold[best]++;
                slidesInFold[best] += patients[patient].Indices.Count;
            }
        }
        return foldOf;
    }

    /// <summary>Patients of the given examples in ordinal id order, so that input order never changes the splits.</summary>
    private static List<Patient> Patients(IReadOnlyList<MilExample> examples, MilTask task, IEnumerable<int> indices) =>
        indices.GroupBy(i => examples[i].PatientId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                int[] members = g.Order().ToArray();
                return new Patient(g.Key, members, Stratum(examples, task, members));
            })
            .ToList();

    private static int Stratum(IReadOnlyList<MilExample> examples, MilTask task, int[] members)
    {
        if (task == MilTask.Survival) return members.Any(i => examples[i].Target.Event) ? 1 : 0;
        return members.GroupBy(i => examples[i].Target.ClassIndex)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
            .First().Key;
    }

    private static string StratumName(MilTask task, int stratum, IReadOnlyList<string>? classNames) => task switch
    {
        MilTask.Survival => stratum == 1 ? "the event group (patients with a relapse)" : "the censored group",
        _ when classNames is not null && stratum < classNames.Count => $"class '{classNames[stratum]}'",
        _ => $"class {stratum}",
    };

    private static int[] IndicesWhere(List<Patient> patients, int[] groupOfPatient, Func<int, bool> keep) =>
        patients.Where((_, p) => keep(groupOfPatient[p])).SelectMany(p => p.Indices).Order().ToArray();

    private static int[] Shuffled(int[] items, Random random)
    {
        random.Shuffle(items);
        return items;
    }

    private sealed record Patient(string Id, IReadOnlyList<int> Indices, int Stratum);
}
