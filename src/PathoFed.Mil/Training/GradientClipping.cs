using System.Numerics.Tensors;
using PathoFed.Mil.Heads;

namespace PathoFed.Mil.Training;

/// <summary>Global gradient-norm clipping (PyTorch's clip_grad_norm_).</summary>
public static class GradientClipping
{
    /// <summary>The L2 norm of all gradients together.</summary>
    public static double GlobalNorm(IReadOnlyList<MilParameter> parameters)
    {
        var sumOfSquares = 0.0;
        for (var p = 0; p < parameters.Count; p++) sumOfSquares += TensorPrimitives.SumOfSquares(parameters[p].Gradients);
        return Math.Sqrt(sumOfSquares);
    }

    /// <summary>Scales all gradients so their global norm is at most <paramref name="maxNorm"/>; returns the norm before.</summary>
    public static double ClipGlobalNorm(IReadOnlyList<MilParameter> parameters, double maxNorm)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNorm);
        var norm = GlobalNorm(parameters);
        if (norm <= maxNorm) return norm;
        var scale = (float)(maxNorm / (norm + 1e-6));
        for (var p = 0; p < parameters.Count; p++) TensorPrimitives.Multiply(parameters[p].Gradients, scale, parameters[p].Gradients);
        return norm;
    }
}
