using System.Text.Json.Serialization;
using PathoFed.Mil.Data;

namespace PathoFed.Mil.Heads;

/// <summary>The MIL head architectures PathoFed trains.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MilHeadKind>))]
public enum MilHeadKind
{
    /// <summary>Gated-attention MIL (Ilse et al. 2018): attention weights per instance, attention-weighted mean, linear classifier.</summary>
    Abmil,

    /// <summary>CHOWDER (Courtiol et al. 2018): one score per tile, top-R and bottom-R scores into an MLP.</summary>
    Chowder,

    /// <summary>Baseline: instance encoder, mean over instances, linear classifier.</summary>
    MeanPool,
}

/// <summary>
/// Architecture of a MIL head: everything needed to rebuild it before loading its parameters. JSON-serialisable (the model
/// folder stores it next to the safetensors weights).
/// </summary>
public sealed record MilHeadConfig
{
    /// <summary>Which architecture.</summary>
    public required MilHeadKind Kind { get; init; }

    /// <summary>Classification (<see cref="ClassCount"/> logits) or survival (one risk score).</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<MilTask>))]
    public required MilTask Task { get; init; }

    /// <summary>Features per instance (the patch embedding width).</summary>
    public required int InputDim { get; init; }

    /// <summary>Classes for <see cref="MilTask.Classify"/> (at least 2); ignored for survival.</summary>
    public int ClassCount { get; init; } = 2;

    /// <summary>Width of the instance encoder Linear+ReLU (ABMIL, mean pool). 0 = no encoder (ABMIL only: attention on raw features).</summary>
    public int EncoderDim { get; init; } = 256;

    /// <summary>Width of ABMIL's gated attention branches (V and U).</summary>
    public int AttentionDim { get; init; } = 128;

    /// <summary>CHOWDER's R: how many top and how many bottom tile scores feed the MLP.</summary>
    public int ExtremeCount { get; init; } = 5;

    /// <summary>CHOWDER's hidden MLP widths (sigmoid activations); the paper uses 200 and 100.</summary>
    public IReadOnlyList<int> MlpHiddenDims { get; init; } = [200, 100];

    /// <summary>Dropout rate in training, after the encoder (ABMIL, mean pool) or after each hidden MLP layer (CHOWDER).</summary>
    public float Dropout { get; init; } = 0.25f;

    /// <summary>Values the head emits per bag: <see cref="ClassCount"/> logits, or one risk score for survival.</summary>
    [JsonIgnore]
    public int OutputCount => Task == MilTask.Survival ? 1 : ClassCount;

    /// <summary>Checks every field against the others.</summary>
    /// <exception cref="MilException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Kind)) Fail($"unknown head kind {(int)Kind}");
        if (!Enum.IsDefined(Task)) Fail($"unknown task {(int)Task}");
        if (InputDim < 1) Fail($"InputDim {InputDim} must be at least 1");
        if (Task == MilTask.Classify && ClassCount < 2) Fail($"ClassCount {ClassCount} must be at least 2 for classification");
        if (EncoderDim < 0) Fail($"EncoderDim {EncoderDim} must not be negative");
        if (Kind == MilHeadKind.MeanPool && EncoderDim < 1) Fail("EncoderDim must be at least 1 for a mean-pool head");
        if (Kind == MilHeadKind.Abmil && AttentionDim < 1) Fail($"AttentionDim {AttentionDim} must be at least 1");
        if (Kind == MilHeadKind.Chowder && ExtremeCount < 1) Fail($"ExtremeCount {ExtremeCount} must be at least 1");
        if (Kind == MilHeadKind.Chowder)
            foreach (var width in MlpHiddenDims)
                if (width < 1) Fail($"MLP hidden width {width} must be at least 1");
        if (!(Dropout >= 0f && Dropout < 1f)) Fail($"Dropout {Dropout} must be in [0, 1)");
    }

    private void Fail(string cause) => throw new MilException($"Invalid {Kind} head configuration: {cause}.");
}
