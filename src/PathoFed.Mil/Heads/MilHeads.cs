using PathoFed.Mil.Heads.Abmil;
using PathoFed.Mil.Heads.Chowder;
using PathoFed.Mil.Heads.MeanPool;

namespace PathoFed.Mil.Heads;

/// <summary>Builds heads from their configuration.</summary>
public static class MilHeads
{
    /// <summary>A new head with weights drawn from <paramref name="seed"/> (Kaiming uniform before ReLU, Xavier uniform elsewhere, zero biases).</summary>
    /// <exception cref="MilException">The configuration is invalid.</exception>
    public static IMilHead Create(MilHeadConfig config, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var rng = new Random(seed);
        return config.Kind switch
        {
            MilHeadKind.Abmil => new AbmilHead(config, rng),
            MilHeadKind.Chowder => new ChowderHead(config, rng),
            MilHeadKind.MeanPool => new MeanPoolHead(config, rng),
            _ => throw new MilException($"Unknown MIL head kind {config.Kind}."),
        };
    }
}
