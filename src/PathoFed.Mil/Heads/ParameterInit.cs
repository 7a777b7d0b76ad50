namespace PathoFed.Mil.Heads;

/// <summary>Which initialisation suits the activation after a layer.</summary>
internal enum LayerInit
{
    /// <summary>Kaiming (He) uniform, for ReLU.</summary>
    Kaiming,

    /// <summary>Xavier (Glorot) uniform, for tanh, sigmoid and linear outputs.</summary>
    Xavier,
}

/// <summary>Seeded weight initialisation; biases start at zero.</summary>
internal static class ParameterInit
{
    public static void Initialize(MilParameter weight, int fanIn, int fanOut, LayerInit init, Random rng)
    {
        var bound = init == LayerInit.Kaiming ? Math.Sqrt(6.0 / fanIn) : Math.Sqrt(6.0 / (fanIn + fanOut));
        FillUniform(weight.Values, (float)bound, rng);
    }

    public static void FillUniform(Span<float> values, float bound, Random rng)
    {
        for (var i = 0; i < values.Length; i++) values[i] = (2f * rng.NextSingle() - 1f) * bound;
    }
}
