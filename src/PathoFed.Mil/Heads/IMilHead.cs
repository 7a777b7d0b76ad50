using PathoFed.Mil.Data;

namespace PathoFed.Mil.Heads;

/// <summary>
/// A multiple-instance-learning head: maps a bag of instance embeddings to class logits or a risk score, with explicit
/// gradients. One forward pass is remembered: <see cref="Backward"/> applies to the latest <see cref="Forward(MilBag, bool, Random?)"/>.
/// Not thread-safe (buffers are reused bag to bag).
/// </summary>
public interface IMilHead
{
    /// <summary>The architecture.</summary>
    MilHeadConfig Config { get; }

    /// <summary>All trainable tensors, in a fixed order, with their gradient accumulators.</summary>
    IReadOnlyList<MilParameter> Parameters { get; }

    /// <summary>Runs the head on a whole bag.</summary>
    /// <param name="bag">The slide's instances; <see cref="MilBag.Dim"/> must equal <see cref="MilHeadConfig.InputDim"/>.</param>
    /// <param name="training">True applies dropout (then <paramref name="rng"/> is required when dropout is on).</param>
    /// <param name="rng">Source of dropout masks.</param>
    /// <exception cref="MilException">The bag is empty, has the wrong width, or holds NaN or infinity; the message names the slide.</exception>
    MilHeadOutput Forward(MilBag bag, bool training = false, Random? rng = null);

    /// <summary>
    /// Runs the head on <paramref name="instanceCount"/> row-major instances of <see cref="MilHeadConfig.InputDim"/> features (for
    /// a subset of a bag). The memory must stay unchanged until <see cref="Backward"/> has run.
    /// </summary>
    /// <exception cref="MilException">As for <see cref="Forward(MilBag, bool, Random?)"/>.</exception>
    MilHeadOutput Forward(string slideId, ReadOnlyMemory<float> instances, int instanceCount, bool training, Random? rng);

    /// <summary>
    /// Adds the gradient of the loss with respect to every parameter to <see cref="MilParameter.Gradients"/>, given the
    /// loss gradient with respect to the latest forward pass's outputs.
    /// </summary>
    /// <exception cref="InvalidOperationException">No forward pass has run.</exception>
    void Backward(ReadOnlySpan<float> outputGradient);

    /// <summary>Sets every gradient accumulator to zero.</summary>
    void ZeroGradients();

    /// <summary>A copy of every parameter as named tensors (what model folders and federated updates carry).</summary>
    IReadOnlyList<NamedTensor> GetParameters();

    /// <summary>Replaces every parameter's values.</summary>
    /// <exception cref="MilException">A tensor is missing, unknown, misshapen or not finite; the message names it.</exception>
    void SetParameters(IReadOnlyList<NamedTensor> tensors);
}
