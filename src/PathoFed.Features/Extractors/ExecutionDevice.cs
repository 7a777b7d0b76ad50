using System.Globalization;

namespace PathoFed.Features.Extractors;

public enum ExecutionDeviceKind
{
    /// <summary>CUDA when this build's ONNX Runtime has it and a GPU answers, else CPU (with one log line saying why).</summary>
    Auto,
    Cpu,
    Cuda,
}

/// <summary>Where inference runs: <c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (GPU index N).</summary>
public sealed record ExecutionDevice(ExecutionDeviceKind Kind, int CudaDeviceId = 0)
{
    public static ExecutionDevice Auto { get; } = new(ExecutionDeviceKind.Auto);

    public static ExecutionDevice Cpu { get; } = new(ExecutionDeviceKind.Cpu);

    /// <exception cref="ArgumentException">Not one of the accepted forms.</exception>
    public static ExecutionDevice Parse(string text)
    {
        string value = text.Trim().ToLowerInvariant();
        if (value == "auto") return Auto;
        if (value == "cpu") return Cpu;
        if (value == "cuda") return new ExecutionDevice(ExecutionDeviceKind.Cuda);
        if (value.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(value.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int id))
        {
            return new ExecutionDevice(ExecutionDeviceKind.Cuda, id);
        }
        throw new ArgumentException($"Device must be auto, cpu, cuda or cuda:N, not '{text}'.");
    }

    public override string ToString() => Kind switch
    {
        ExecutionDeviceKind.Cuda => $"cuda:{CudaDeviceId}",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}

/// <summary>How an extractor session runs: device and CPU threading. Immutable, validated once.</summary>
public sealed record ExtractorRuntimeOptions
{
    public static ExtractorRuntimeOptions Default { get; } = new();

    public ExecutionDevice Device { get; init; } = ExecutionDevice.Auto;

    /// <summary>
    /// Float16 converts a float32 model to half precision when it is opened (inputs and outputs stay float32, cast on the
    /// device): about twice the throughput on GPUs with tensor cores, embeddings within about 1e-3 of float32's.
    /// </summary>
    public ExtractorPrecision Precision { get; init; } = ExtractorPrecision.Float32;

    /// <summary>
    /// Extra CUDA execution provider settings (ONNX Runtime's names, e.g. <c>prefer_nhwc=1</c>,
    /// <c>cudnn_conv_use_max_workspace=1</c>); ignored on CPU.
    /// </summary>
    public IReadOnlyDictionary<string, string> CudaProviderOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>On CUDA, hand the pipeline page-locked batch buffers (see <see cref="IFeatureExtractor.AllocateBuffer"/>).</summary>
    public bool PinnedBuffers { get; init; } = true;

    /// <summary>ONNX Runtime intra-op threads on CPU; null = one per core.</summary>
    public int? IntraOpThreads { get; init; }

    /// <summary>
    /// Off by default: spinning ONNX Runtime threads burn the cores that patch readers need between batches.
    /// </summary>
    public bool AllowSpinning { get; init; }
}

/// <summary>The arithmetic an extractor's model runs in.</summary>
public enum ExtractorPrecision
{
    /// <summary>The model as written.</summary>
    Float32,

    /// <summary>A float16 copy made when the model is opened (see <see cref="ExtractorRuntimeOptions.Precision"/>).</summary>
    Float16,
}
