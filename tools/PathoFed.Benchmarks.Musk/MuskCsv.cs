using System.Globalization;
using PathoFed.Mil.Data;

/// <summary>Reads clean1.data: one bag per molecule, one instance per conformation, label from the class column.</summary>
internal static class MuskCsv
{
    private const int FirstFeatureColumn = 2;

    public static List<MilExample> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        var dim = header.Length - FirstFeatureColumn - 1;
        if (header[0] != "molecule_name" || header[^1] != "class")
            throw new InvalidDataException($"{path}: expected a header 'molecule_name,conformation_name,f1..f{dim},class', got '{lines[0][..Math.Min(60, lines[0].Length)]}...'.");

        var bags = new Dictionary<string, (List<float[]> Rows, int Label)>();
        var order = new List<string>();
        for (var n = 1; n < lines.Length; n++)
        {
            if (lines[n].Length == 0) continue;
            var cells = lines[n].Split(',');
            if (cells.Length != header.Length)
                throw new InvalidDataException($"{path}, line {n + 1}: {cells.Length} columns, expected {header.Length}.");
            var features = new float[dim];
            for (var j = 0; j < dim; j++) features[j] = float.Parse(cells[FirstFeatureColumn + j], CultureInfo.InvariantCulture);
            var label = (int)double.Parse(cells[^1], CultureInfo.InvariantCulture);
            if (!bags.TryGetValue(cells[0], out var bag))
            {
                bag = ([], label);
                bags[cells[0]] = bag;
                order.Add(cells[0]);
            }
            if (bag.Label != label) throw new InvalidDataException($"{path}, line {n + 1}: molecule {cells[0]} has conformations of both classes.");
            bag.Rows.Add(features);
        }

        return order.Select(id =>
        {
            var (rows, label) = bags[id];
            var values = new float[rows.Count * dim];
            for (var i = 0; i < rows.Count; i++) rows[i].CopyTo(values, i * dim);
            // The molecule is the patient: folds and validation splits never split it.
            return new MilExample(new MilBag(id, rows.Count, dim, values), MilTarget.Class(label), id);
        }).ToList();
    }
}

/// <summary>Per-feature standardisation of instances, with statistics from chosen bags only.</summary>
internal static class InstanceStandardisation
{
    /// <summary>Per-feature mean and sd over every instance of the bags at <paramref name="trainIndices"/> (e.g. the training folds only).</summary>
    public static (float[] Mean, float[] Sd) Statistics(IReadOnlyList<MilExample> examples, IReadOnlyList<int> trainIndices)
    {
        var dim = examples[0].Bag.Dim;
        var sum = new double[dim];
        var sumSquares = new double[dim];
        long count = 0;
        foreach (var index in trainIndices)
        {
            var bag = examples[index].Bag;
            for (var i = 0; i < bag.InstanceCount; i++)
            {
                var row = bag.Instance(i);
                for (var j = 0; j < dim; j++)
                {
                    sum[j] += row[j];
                    sumSquares[j] += (double)row[j] * row[j];
                }
            }
            count += bag.InstanceCount;
        }
        var mean = new float[dim];
        var sd = new float[dim];
        for (var j = 0; j < dim; j++)
        {
            var m = sum[j] / count;
            mean[j] = (float)m;
            // A constant feature keeps sd 1 rather than dividing by zero.
            sd[j] = (float)Math.Max(Math.Sqrt(Math.Max(sumSquares[j] / count - m * m, 0)), 1e-6);
        }
        return (mean, sd);
    }

    public static MilExample Apply(MilExample example, float[] mean, float[] sd)
    {
        var bag = example.Bag;
        var values = new float[bag.Instances.Length];
        for (var k = 0; k < values.Length; k++)
        {
            var j = k % bag.Dim;
            values[k] = (bag.Instances[k] - mean[j]) / sd[j];
        }
        return example with { Bag = bag with { Instances = values } };
    }

    /// <summary>Every bag standardised with the statistics of all of them.</summary>
    public static List<MilExample> AllTogether(IReadOnlyList<MilExample> examples)
    {
        var (mean, sd) = Statistics(examples, [.. Enumerable.Range(0, examples.Count)]);
        return [.. examples.Select(e => Apply(e, mean, sd))];
    }
}
