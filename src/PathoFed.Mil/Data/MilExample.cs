namespace PathoFed.Mil.Data;

/// <summary>What a head predicts: a class (mutation status, e.g. MSI vs MSS) or relapse as time-to-event with censoring.</summary>
public enum MilTask
{
    Classify,
    Survival,
}

/// <summary>
/// One slide's bag: <see cref="InstanceCount"/> patch embeddings of <see cref="Dim"/> floats, row-major in <see cref="Instances"/>
/// (the layout <c>FeatureRows.Embeddings</c> reads from features.parquet).
/// </summary>
public sealed record MilBag(string SlideId, int InstanceCount, int Dim, float[] Instances)
{
    /// <summary>Where each instance lies on the slide (row i for instance i), when the bag came from a features table: heatmaps need it.</summary>
    public PathoFed.Slides.Patching.PatchCoordinate[]? Patches { get; init; }

    /// <summary>The patch grid the instances were cut on, when known.</summary>
    public PathoFed.Slides.Patching.PatchGridGeometry? Geometry { get; init; }

    public ReadOnlySpan<float> Instance(int index) => Instances.AsSpan(index * Dim, Dim);
}

/// <summary>
/// A slide-level target: <see cref="ClassIndex"/> for classification; <see cref="Time"/> and <see cref="Event"/> (true = relapse
/// observed, false = censored at <see cref="Time"/>) for survival.
/// </summary>
public readonly record struct MilTarget(int ClassIndex, double Time, bool Event)
{
    public static MilTarget Class(int classIndex) => new(classIndex, double.NaN, false);

    public static MilTarget Survival(double time, bool relapse) => new(-1, time, relapse);
}

/// <summary>A labelled bag with the patient it came from (folds never split a patient) and, optionally, its site.</summary>
public sealed record MilExample(MilBag Bag, MilTarget Target, string PatientId, string? Site = null)
{
    public string SlideId => Bag.SlideId;
}

/// <summary>A named parameter tensor (row-major float32): what model folders store in safetensors and what federated updates carry.</summary>
public sealed record NamedTensor(string Name, int[] Shape, float[] Values)
{
    public int ElementCount => Values.Length;
}
