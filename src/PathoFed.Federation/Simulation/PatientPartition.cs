using PathoFed.Mil.Data;

namespace PathoFed.Federation.Simulation;

/// <summary>How a simulation deals patients to sites.</summary>
public enum PartitionKind
{
    /// <summary>Each label's patients dealt round-robin after shuffling: every site sees the same label mix.</summary>
    Iid,

    /// <summary>Label skew: each label's patients split by proportions drawn from Dirichlet(α) (Hsu et al. 2019); small α, strong skew.</summary>
    Dirichlet,
}

/// <summary>Deals patients (never single slides: a patient's slides stay together) to simulated sites.</summary>
public static class PatientPartition
{
    /// <summary>The fewest patients a site gets: one to train on and one to hold out for its federated evaluation.</summary>
    public const int MinPatientsPerSite = 2;

    /// <summary>The examples of each of <paramref name="sites"/> sites.</summary>
    /// <exception cref="ArgumentException">Fewer than <see cref="MinPatientsPerSite"/> patients per site, or α not positive for Dirichlet.</exception>
    public static IReadOnlyList<MilExample>[] Split(IReadOnlyList<MilExample> examples, MilTask task, int sites, PartitionKind kind, double alpha, int seed)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(sites, 1);
        var patients = examples.GroupBy(e => e.PatientId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.ToArray()).ToList();
        if (patients.Count < sites * MinPatientsPerSite)
        {
            throw new ArgumentException($"{patients.Count} patients cannot give {sites} sites {MinPatientsPerSite} patients each.", nameof(sites));
        }

        if (kind == PartitionKind.Dirichlet && !(alpha > 0 && double.IsFinite(alpha)))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The Dirichlet concentration must be a positive number.");
        }

        var random = new Random(seed);
        var bySite = Enumerable.Range(0, sites).Select(_ => new List<MilExample[]>()).ToArray();
        var next = 0;
        // Strata: the class for classification, the event flag for survival (censored and relapsed patients).
        foreach (var stratum in patients.GroupBy(p => Stratum(p[0], task)).OrderBy(g => g.Key))
        {
            var members = stratum.ToArray();
            random.Shuffle(members);
            if (kind == PartitionKind.Iid)
            {
                foreach (var patient in members) bySite[next++ % sites].Add(patient);
                continue;
            }

            var proportions = Dirichlet(sites, alpha, random);
            double cumulative = 0;
            var start = 0;
            for (var s = 0; s < sites; s++)
            {
                cumulative += proportions[s];
                var end = s == sites - 1 ? members.Length : (int)Math.Round(cumulative * members.Length);
                for (var i = start; i < end; i++) bySite[s].Add(members[i]);
                start = Math.Max(start, end);
            }
        }

        // A strongly skewed draw can leave a site (nearly) empty: top it up from the largest site.
        foreach (var site in bySite)
        {
            while (site.Count < MinPatientsPerSite)
            {
                var largest = bySite.MaxBy(s => s.Count)!;
                var moved = largest[random.Next(largest.Count)];
                largest.Remove(moved);
                site.Add(moved);
            }
        }

        return [.. bySite.Select(s => (IReadOnlyList<MilExample>)[.. s.SelectMany(p => p)])];
    }

    private static int Stratum(MilExample example, MilTask task) =>
        task == MilTask.Classify ? example.Target.ClassIndex : example.Target.Event ? 1 : 0;

    /// <summary>A draw from the symmetric Dirichlet(α, ..., α): normalised Gamma(α) draws.</summary>
    private static double[] Dirichlet(int count, double alpha, Random random)
    {
        var draws = new double[count];
        double sum = 0;
        for (var i = 0; i < count; i++) sum += draws[i] = Gamma(alpha, random);
        for (var i = 0; i < count; i++) draws[i] = sum > 0 ? draws[i] / sum : 1.0 / count;
        return draws;
    }

    /// <summary>Gamma(α, 1) by Marsaglia and Tsang (2000); α &lt; 1 through Gamma(α + 1)·U^(1/α).</summary>
    private static double Gamma(double alpha, Random random)
    {
        if (alpha < 1) return Gamma(alpha + 1, random) * Math.Pow(1.0 - random.NextDouble(), 1.0 / alpha);
        var d = alpha - 1.0 / 3;
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = StandardNormal(random);
                v = 1 + c * x;
            }
            while (v <= 0);

            v = v * v * v;
            var u = 1.0 - random.NextDouble();
            if (Math.Log(u) < 0.5 * x * x + d - d * v + d * Math.Log(v)) return d * v;
        }
    }

    private static double StandardNormal(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());
}
