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

    /// <summary>ONNX Runtime intra-op threads on CPU; null = one per core.</summary>
    public int? IntraOpThreads { get; init; }

    /// <summary>
    /// Off by default: spinning ONNX Runtime threads burn the cores that patch readers need between batches.
    /// </summary>
    public bool AllowSpinning { get; init; }
}
