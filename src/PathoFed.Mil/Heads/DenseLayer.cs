using PathoFed.Mil.Numerics;

namespace PathoFed.Mil.Heads;

/// <summary>Y = X Wᵀ + b over a batch of rows (PyTorch's Linear), forward and backward as BLAS calls.</summary>
internal sealed class DenseLayer(MilParameter weight, MilParameter bias, OnesVector ones)
{
    public MilParameter Weight { get; } = weight;

    public MilParameter Bias { get; } = bias;

    public int InputDim => Weight.Shape[1];

    public int OutputDim => Weight.Shape[0];

    /// <summary>output (rows x out) = input (rows x in) · Wᵀ + b.</summary>
    public void Forward(ReadOnlySpan<float> input, int rows, Span<float> output)
    {
        // The bias broadcast is a rank-1 product 1 · bᵀ, so the whole layer is two BLAS calls and no per-row loop.
        Blas.Gemm(false, false, rows, OutputDim, 1, 1f, ones.Take(rows), Bias.Values, 0f, output);
        Blas.Gemm(false, true, rows, OutputDim, InputDim, 1f, input, Weight.Values, 1f, output);
    }

    /// <summary>
    /// Accumulates dW += dYᵀ X and db += dYᵀ 1; writes (or, with <paramref name="accumulateInputGradient"/>, adds) dX = dY W
    /// unless <paramref name="inputGradient"/> is empty (the first layer needs no input gradient).
    /// </summary>
    public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, int rows, Span<float> inputGradient,
        bool accumulateInputGradient = false)
    {
        Blas.Gemm(true, false, OutputDim, InputDim, rows, 1f, outputGradient, input, 1f, Weight.Gradients);
        Blas.Gemv(true, rows, OutputDim, 1f, outputGradient, ones.Take(rows), 1f, Bias.Gradients);
        if (!inputGradient.IsEmpty)
            Blas.Gemm(false, false, rows, InputDim, OutputDim, 1f, outputGradient, Weight.Values, accumulateInputGradient ? 1f : 0f, inputGradient);
    }
}
