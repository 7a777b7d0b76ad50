using PathoFed.Mil.Data;

namespace PathoFed.Federation.Tests;

/// <summary>Small parameter sets with the layout of a MIL head: a weight matrix and a bias.</summary>
internal static class TestParameters
{
    public static NamedTensor[] Model(float[] weight, float[] bias) =>
    [
        new NamedTensor("head.weight", [2, weight.Length / 2], weight),
        new NamedTensor("head.bias", [bias.Length], bias),
    ];

    public static NamedTensor[] Random(int seed, int weightColumns = 8, float scale = 1f)
    {
        var random = new Random(seed);
        var weight = new float[2 * weightColumns];
        var bias = new float[2];
        for (var i = 0; i < weight.Length; i++)
        {
            weight[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }

        for (var i = 0; i < bias.Length; i++)
        {
            bias[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }

        return Model(weight, bias);
    }

    public static NamedTensor[] Shifted(IReadOnlyList<NamedTensor> model, float by)
    {
        var shifted = new NamedTensor[model.Count];
        for (var t = 0; t < model.Count; t++)
        {
            var values = (float[])model[t].Values.Clone();
            for (var i = 0; i < values.Length; i++)
            {
                values[i] += by;
            }

            shifted[t] = model[t] with { Values = values };
        }

        return shifted;
    }
}
