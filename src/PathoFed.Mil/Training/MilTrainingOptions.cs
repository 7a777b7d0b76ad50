using PathoFed.Mil.Heads;

namespace PathoFed.Mil.Training;

/// <summary>How to train a MIL head. Immutable; checked once by <see cref="Validate"/> when training starts.</summary>
public sealed record MilTrainingOptions
{
    /// <summary>The architecture to build (required by <see cref="MilTrainer.Train"/>; <see cref="MilTrainer.TrainEpochs"/> uses its head's).</summary>
    public MilHeadConfig? Head { get; init; }

    /// <summary>Most epochs to run.</summary>
    public int Epochs { get; init; } = 50;

    /// <summary>Bags per optimiser step; gradients accumulate over the batch. Cox needs several bags (and events) per batch.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>AdamW step size.</summary>
    public float LearningRate { get; init; } = 2e-4f;

    /// <summary>AdamW's decoupled weight decay λ.</summary>
    public float WeightDecay { get; init; } = 1e-4f;

    /// <summary>AdamW's first-moment decay.</summary>
    public float Beta1 { get; init; } = 0.9f;

    /// <summary>AdamW's second-moment decay.</summary>
    public float Beta2 { get; init; } = 0.999f;

    /// <summary>AdamW's denominator guard.</summary>
    public float Epsilon { get; init; } = 1e-8f;

    /// <summary>Clip the global gradient norm to this before each step; 0 turns clipping off.</summary>
    public float MaxGradientNorm { get; init; } = 1f;

    /// <summary>In training, a bag with more instances uses a random subset of this many (fresh each epoch); 0 uses all.</summary>
    public int MaxInstancesPerBag { get; init; }

    /// <summary>Seeds weight initialisation, shuffling, instance subsets and dropout: the same seed gives bit-identical runs.</summary>
    public int Seed { get; init; }

    /// <summary>Stop after this many epochs without a lower validation loss (the best weights are restored); 0 never stops early.</summary>
    public int Patience { get; init; } = 10;

    /// <summary>Cross-entropy weight per class (e.g. inverse frequency); null weighs all classes 1.</summary>
    public IReadOnlyList<float>? ClassWeights { get; init; }

    /// <summary>FedProx μ: adds μ/2·‖w − w_start‖² to the local objective of <see cref="MilTrainer.TrainEpochs"/>; 0 is plain FedAvg.</summary>
    public float ProximalMu { get; init; }

    /// <summary>OpenBLAS threads to use (process-wide); 0 leaves OpenBLAS's own setting.</summary>
    public int BlasThreads { get; init; }

    /// <summary>Checks every value.</summary>
    /// <exception cref="MilException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (Epochs < 0) Fail($"Epochs {Epochs} must not be negative");
        if (BatchSize < 1) Fail($"BatchSize {BatchSize} must be at least 1");
        if (!(LearningRate > 0f) || !float.IsFinite(LearningRate)) Fail($"LearningRate {LearningRate} must be positive");
        if (!(WeightDecay >= 0f) || !float.IsFinite(WeightDecay)) Fail($"WeightDecay {WeightDecay} must not be negative");
        if (!(Beta1 >= 0f && Beta1 < 1f) || !(Beta2 >= 0f && Beta2 < 1f)) Fail($"Beta1 {Beta1} and Beta2 {Beta2} must be in [0, 1)");
        if (!(Epsilon > 0f)) Fail($"Epsilon {Epsilon} must be positive");
        if (!(MaxGradientNorm >= 0f)) Fail($"MaxGradientNorm {MaxGradientNorm} must not be negative");
        if (MaxInstancesPerBag < 0) Fail($"MaxInstancesPerBag {MaxInstancesPerBag} must not be negative");
        if (Patience < 0) Fail($"Patience {Patience} must not be negative");
        if (!(ProximalMu >= 0f) || !float.IsFinite(ProximalMu)) Fail($"ProximalMu {ProximalMu} must not be negative");
        if (BlasThreads < 0) Fail($"BlasThreads {BlasThreads} must not be negative");
    }

    private static void Fail(string cause) => throw new MilException($"Invalid MIL training options: {cause}.");
}
