using System.Numerics.Tensors;
using PathoFed.Federation.Updates;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Privacy;

/// <summary>
/// Site-side DP for one round (DP-FedAvg, McMahan et al. 2018): the update Δ = local − global is scaled to L2 norm at
/// most <see cref="ClipNorm"/> = C over all tensors, then every coordinate gets N(0, σ²C²) noise,
/// σ = <see cref="NoiseMultiplier"/>. The sensitivity of one site's clipped update is C, so σ is the noise multiplier
/// <see cref="RdpAccountant"/> expects.
/// </summary>
public sealed record GaussianMechanism
{
    /// <summary>C: the L2 bound of the clipped update.</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>σ: noise standard deviation in units of C.</summary>
    public double NoiseMultiplier { get; init; } = 1.0;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">C is not positive or σ is negative.</exception>
    public GaussianMechanism Validate()
    {
        if (!(ClipNorm > 0) || double.IsInfinity(ClipNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(ClipNorm), ClipNorm, "ClipNorm must be a positive finite number.");
        }

        if (!(NoiseMultiplier >= 0) || double.IsInfinity(NoiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(NoiseMultiplier), NoiseMultiplier, "NoiseMultiplier must be a non-negative finite number.");
        }

        return this;
    }

    /// <summary>The clipped, noised update of <paramref name="site"/> for <paramref name="round"/>.</summary>
    /// <exception cref="InvalidSiteUpdateException">The local model's layout differs from the global one, or a value is not finite.</exception>
    public PrivatizedUpdate Privatize(
        string site, int round, IReadOnlyList<NamedTensor> global, IReadOnlyList<NamedTensor> local, GaussianNoise noise)
    {
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(noise);
        Validate();
        ParameterLayout.RequireSameLayout(site, round, global, local);
        ParameterLayout.RequireFinite(site, round, local);

        var norm = ParameterLayout.DistanceL2(global, local);
        var scale = norm > ClipNorm ? (float)(ClipNorm / norm) : 1f;
        var noiseStd = NoiseMultiplier * ClipNorm;
        var delta = new NamedTensor[global.Count];
        for (var t = 0; t < global.Count; t++)
        {
            var values = new float[global[t].Values.Length];
            TensorPrimitives.Subtract(local[t].Values, global[t].Values, values);
            TensorPrimitives.Multiply(values, scale, values);
            noise.AddTo(values, noiseStd);
            delta[t] = new NamedTensor(global[t].Name, (int[])global[t].Shape.Clone(), values);
        }

        return new PrivatizedUpdate(delta, norm, scale < 1f);
    }
}

/// <summary>A site's privatized update.</summary>
/// <param name="Delta">clip(local − global) + noise: what to mask for secure aggregation.</param>
/// <param name="NormBeforeClipping">‖local − global‖₂ (stays at the site: it is not private).</param>
/// <param name="WasClipped">Whether the update was scaled down.</param>
public sealed record PrivatizedUpdate(IReadOnlyList<NamedTensor> Delta, double NormBeforeClipping, bool WasClipped)
{
    /// <summary>global + Delta: the privatized local model, for plain (non-secure) aggregation.</summary>
    public IReadOnlyList<NamedTensor> ApplyTo(IReadOnlyList<NamedTensor> global)
    {
        ArgumentNullException.ThrowIfNull(global);
        var local = new NamedTensor[Delta.Count];
        for (var t = 0; t < Delta.Count; t++)
        {
            var values = new float[Delta[t].Values.Length];
            TensorPrimitives.Add(Delta[t].Values, global[t].Values, values);
            local[t] = Delta[t] with { Values = values };
        }

        return local;
    }
}
