using PathoFed.Mil.Data;

namespace PathoFed.Mil.Tests;

/// <summary>Seeded random bags and the planted-witness generative process the learning tests use.</summary>
internal static class MilTestData
{
    public static float Gaussian(Random rng)
    {
        // Box–Muller; 1 − u keeps the logarithm's argument above zero.
        var u = 1.0 - rng.NextDouble();
        var v = rng.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * v));
    }

    public static MilBag RandomBag(string slideId, int instanceCount, int dim, Random rng)
    {
        var values = new float[instanceCount * dim];
        for (var i = 0; i < values.Length; i++) values[i] = Gaussian(rng);
        return new MilBag(slideId, instanceCount, dim, values);
    }

    /// <summary>A bag of witnesses and negatives, and which instances are witnesses.</summary>
    public sealed record PlantedBag(MilExample Example, bool[] IsWitness, double WitnessFraction);

    /// <summary>
    /// Negatives ~ N(0, I); witnesses ~ N(0, I) shifted by <paramref name="shift"/> in the first <paramref name="shiftedDims"/>
    /// dimensions. Positive bags (half) hold ~<paramref name="witnessFraction"/> witnesses; negative bags none.
    /// </summary>
    public static List<PlantedBag> WitnessClassification(int bagCount, int dim, double witnessFraction, int seed,
        float shift = 1.5f, int shiftedDims = 8)
    {
        var rng = new Random(seed);
        var bags = new List<PlantedBag>(bagCount);
        for (var b = 0; b < bagCount; b++)
        {
            var positive = b % 2 == 1;
            var n = rng.Next(50, 201);
            var witnesses = positive ? Math.Max(1, (int)Math.Round(n * witnessFraction)) : 0;
            var (bag, isWitness) = PlantBag($"slide-{b:D3}", n, dim, witnesses, shift, shiftedDims, rng);
            bags.Add(new PlantedBag(new MilExample(bag, MilTarget.Class(positive ? 1 : 0), $"patient-{b:D3}"), isWitness, (double)witnesses / n));
        }

        return bags;
    }

    /// <summary>
    /// Witness fraction f ~ U(0, 0.3) per bag; relapse time ~ Exponential(rate 0.1·exp(β f)), censored by an independent
    /// exponential time, so the hazard is a function of f alone.
    /// </summary>
    public static List<PlantedBag> WitnessSurvival(int bagCount, int dim, int seed, double beta = 25, float shift = 1.5f)
    {
        var rng = new Random(seed);
        var bags = new List<PlantedBag>(bagCount);
        for (var b = 0; b < bagCount; b++)
        {
            var n = rng.Next(50, 201);
            var fraction = 0.3 * rng.NextDouble();
            var witnesses = (int)Math.Round(n * fraction);
            var (bag, isWitness) = PlantBag($"slide-{b:D3}", n, dim, witnesses, shift, 8, rng);
            var rate = 0.1 * Math.Exp(beta * witnesses / n);
            var eventTime = -Math.Log(1.0 - rng.NextDouble()) / rate;
            var censorTime = -Math.Log(1.0 - rng.NextDouble()) / 0.05;
            var target = MilTarget.Survival(Math.Min(eventTime, censorTime), eventTime <= censorTime);
            bags.Add(new PlantedBag(new MilExample(bag, target, $"patient-{b:D3}"), isWitness, (double)witnesses / n));
        }

        return bags;
    }

    public static List<MilExample> Examples(IEnumerable<PlantedBag> bags) => bags.Select(b => b.Example).ToList();

    private static (MilBag Bag, bool[] IsWitness) PlantBag(string slideId, int n, int dim, int witnesses, float shift, int shiftedDims,
        Random rng)
    {
        var values = new float[n * dim];
        var isWitness = new bool[n];
        for (var w = 0; w < witnesses; w++) isWitness[w] = true;
        rng.Shuffle(isWitness);
        for (var i = 0; i < n; i++)
        {
            for (var d = 0; d < dim; d++)
                values[i * dim + d] = Gaussian(rng) + (isWitness[i] && d < shiftedDims ? shift : 0f);
        }

        return (new MilBag(slideId, n, dim, values), isWitness);
    }
}
