using System.Globalization;
using PathoFed.Features.Extractors;

namespace PathoFed.Benchmarks;

/// <summary>The options of the benchmark's <c>embed</c> verb (see Program.cs), parsed once.</summary>
internal sealed record EmbedSettings
{
    public int MaxPatches { get; init; } = 2000;
    public int[] BatchSizes { get; init; } = [32];
    public int[] ReaderThreads { get; init; } = [EmbeddingPipelineDefaults.ReaderThreads];
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;
    public ExtractorPrecision Precision { get; init; } = ExtractorPrecision.Float32;
    public int? IntraOpThreads { get; init; }
    public bool Pinned { get; init; } = true;
    public Dictionary<string, string> CudaOptions { get; init; } = [];
    public double AloneSeconds { get; init; } = 3;

    /// <exception cref="ArgumentException">An unknown option or a malformed value, named.</exception>
    public static EmbedSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new EmbedSettings();
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int[] Ints() => Value().Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            settings = args[i] switch
            {
                "--patches" => settings with { MaxPatches = Ints()[0] },
                "--batch" => settings with { BatchSizes = Ints() },
                "--readers" => settings with { ReaderThreads = Ints() },
                "--device" => settings with { Device = ExecutionDevice.Parse(Value()) },
                "--precision" => settings with
                {
                    Precision = Value() switch
                    {
                        "fp32" => ExtractorPrecision.Float32,
                        "fp16" => ExtractorPrecision.Float16,
                        var other => throw new ArgumentException($"--precision is fp32 or fp16, not '{other}'"),
                    },
                },
                "--threads" => settings with { IntraOpThreads = Ints()[0] },
                "--no-pinned" => settings with { Pinned = false },
                "--alone-seconds" => settings with { AloneSeconds = double.Parse(Value(), CultureInfo.InvariantCulture) },
                "--cuda-option" => settings with { CudaOptions = new(settings.CudaOptions) { [Value().Split('=', 2)[0]] = args[i].Split('=', 2) is [_, var v] ? v : throw new ArgumentException("--cuda-option is KEY=VALUE") } },
                var unknown => throw new ArgumentException($"unknown embed option '{unknown}'"),
            };
        }
        return settings;
    }
}

/// <summary>The pipeline's default reader count, named for the settings' default.</summary>
internal static class EmbeddingPipelineDefaults
{
    public static int ReaderThreads => PathoFed.Features.Pipeline.EmbeddingPipelineOptions.Default.ReaderThreads;
}
