using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace PathoFed.Features.Extractors;

/// <summary>
/// An <see cref="IFeatureExtractor"/> on ONNX Runtime. The model is checked against its manifest when it is opened
/// (input name, NCHW float with 3 channels of the manifest's size, an output of the manifest's dimension), so a wrong
/// model fails before any slide is read. Inputs and outputs are bound to the caller's buffers: no copies, no
/// allocation per batch beyond two small tensor headers.
/// </summary>
public sealed partial class OnnxFeatureExtractor : IFeatureExtractor
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int[] _outputDims; // model output shape, -1 at the batch axis
    private readonly string _source;
    private readonly HalfBuffer _halfInput = new(), _halfOutput = new(); // used only by float16 models
    private readonly PinnedBuffers? _pinned; // on CUDA: page-locked host buffers the GPU copies from and to directly

    private OnnxFeatureExtractor(ExtractorManifest manifest, string sha256, string source, InferenceSession session, string device, PinnedBuffers? pinned)
    {
        (Manifest, Sha256, _source, _session, Device, _pinned) = (manifest, sha256, source, session, device, pinned);
        _inputNames = [manifest.Input.Name];
        _outputNames = [manifest.Output.Name];
        FixedBatchSize = CheckInput();
        _outputDims = CheckOutput();
    }

    public ExtractorManifest Manifest { get; }

    public string Sha256 { get; }

    public string Device { get; }

    public int? FixedBatchSize { get; }

    /// <summary>Opens the manifest's model (embedded or file) on the requested device.</summary>
    /// <exception cref="ModelLoadException">Missing, corrupt or mismatched model, a hash that differs from the manifest's, or CUDA asked for but unavailable.</exception>
    public static OnnxFeatureExtractor Open(ExtractorManifest manifest, ExtractorRuntimeOptions? options = null, ILogger? logger = null)
    {
        options ??= ExtractorRuntimeOptions.Default;
        logger ??= NullLogger.Instance;
        if (!manifest.IsEmbedded && options.Precision == ExtractorPrecision.Float32)
        {
            // Opened by path, never read whole: a model over 2 GB keeps its weights in an .onnx.data file beside it.
            string path = ExtractorCatalog.OnnxPathFor(manifest);
            string fileSource = $"model file '{path}'";
            string fileSha256 = HashFile(path);
            CheckSha256(manifest, fileSha256, fileSource);
            return Create(manifest, fileSha256, fileSource, sessionOptions => new InferenceSession(path, sessionOptions), options, logger);
        }
        (byte[] model, string source) = manifest.IsEmbedded ? (BuildEmbedded(manifest), $"embedded model '{manifest.Id}'") : ReadFile(manifest);
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(model));
        CheckSha256(manifest, sha256, source);
        if (options.Precision == ExtractorPrecision.Float16) model = ToFloat16(model, source);
        return Create(manifest, sha256, source, sessionOptions => new InferenceSession(model, sessionOptions), options, logger);
    }

    private static void CheckSha256(ExtractorManifest manifest, string sha256, string source)
    {
        if (manifest.Sha256 is { } expected && expected != sha256)
        {
            throw new ModelLoadException(
                $"The {source} has SHA-256 {sha256}, but {(manifest.ManifestPath is { } m ? $"manifest '{m}'" : $"extractor '{manifest.Id}'")} expects {expected}: " +
                "a different export or a damaged copy. Re-export it, or set the manifest's sha256 to the new value if the change is intended.");
        }
    }

    private static string HashFile(string path)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"Model file '{path}' cannot be read: {e.Message}", e);
        }
    }

    private static byte[] BuildEmbedded(ExtractorManifest manifest) => manifest.Id switch
    {
        HandETextureExtractor.Id => HandETextureExtractor.BuildModel(),
        ResNet18ImageNet.Id => ResNet18ImageNet.BuildModel(),
        _ => throw new ModelLoadException(
            $"Extractor '{manifest.Id}' says it is embedded, but PathoFed embeds only {string.Join(", ", ExtractorCatalog.BuiltIn.Select(m => $"'{m.Id}'"))}."),
    };

    private static (byte[] Model, string Source) ReadFile(ExtractorManifest manifest)
    {
        string path = ExtractorCatalog.OnnxPathFor(manifest);
        try
        {
            return (File.ReadAllBytes(path), $"model file '{path}'");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutOfMemoryException)
        {
            throw new ModelLoadException($"Model file '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// The float16 copy <see cref="ExtractorPrecision.Float16"/> asks for; the hash stays the float32 model's. A model
    /// with external weight files cannot be converted (its tensors hold no data here) and is refused with that reason.
    /// </summary>
    private static byte[] ToFloat16(byte[] model, string source)
    {
        try
        {
            Onnx.ModelProto proto = Onnx.OnnxModelEdits.Parse(model);
            Onnx.OnnxModelEdits.ConvertToFloat16(proto);
            return Google.Protobuf.MessageExtensions.ToByteArray(proto);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            throw new ModelLoadException($"The {source} cannot be converted to float16: {e.Message}. Use float32 precision.", e);
        }
    }

    private static OnnxFeatureExtractor Create(
        ExtractorManifest manifest, string sha256, string source, Func<SessionOptions, InferenceSession> open, ExtractorRuntimeOptions options, ILogger logger)
    {
        SessionOptions sessionOptions = new() { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        InferenceSession? session = null;
        try
        {
            string device = ConfigureDevice(sessionOptions, options, logger);
            try
            {
                session = open(sessionOptions);
            }
            catch (OnnxRuntimeException e) when (device.StartsWith("cuda", StringComparison.Ordinal))
            {
                // The CUDA provider loads its libraries and finds the GPU only now: a missing cuDNN or device shows here.
                string whyNot = $"the CUDA provider did not start ({FirstLine(e.Message)})";
                if (options.Device.Kind == ExecutionDeviceKind.Cuda) throw NotAvailable(options.Device, whyNot);
                LogCudaFallback(logger, whyNot);
                return Create(manifest, sha256, source, open, options with { Device = ExecutionDevice.Cpu }, logger);
            }
            catch (OnnxRuntimeException e)
            {
                throw new ModelLoadException($"The {source} cannot be loaded by ONNX Runtime (not a valid ONNX model?): {FirstLine(e.Message)}", e);
            }
            PinnedBuffers? pinned = device.StartsWith("cuda", StringComparison.Ordinal) && options.PinnedBuffers
                ? new PinnedBuffers(session, options.Device.CudaDeviceId)
                : null;
            var extractor = new OnnxFeatureExtractor(manifest, sha256, source, session, device, pinned);
            LogOpened(logger, manifest.Id, device, sha256[..12]);
            return extractor;
        }
        catch
        {
            session?.Dispose();
            throw;
        }
        finally
        {
            sessionOptions.Dispose(); // the session keeps its own copy
        }
    }

    private static ModelLoadException NotAvailable(ExecutionDevice device, string whyNot) =>
        new($"Device {device} was asked for but is not available: {whyNot}. Use --device cpu or --device auto.");

    /// <summary>Adds the CUDA provider when asked (or on auto when it works), else tunes the CPU threads; returns the device in words.</summary>
    private static string ConfigureDevice(SessionOptions sessionOptions, ExtractorRuntimeOptions options, ILogger logger)
    {
        ExecutionDevice device = options.Device;
        if (device.Kind != ExecutionDeviceKind.Cpu)
        {
            string? whyNot = TryAddCuda(sessionOptions, device.CudaDeviceId, options.CudaProviderOptions);
            if (whyNot is null) return $"cuda:{device.CudaDeviceId}{PrecisionSuffix(options)}";
            if (device.Kind == ExecutionDeviceKind.Cuda) throw NotAvailable(device, whyNot);
            LogCudaFallback(logger, whyNot);
        }

        int threads = options.IntraOpThreads ?? Environment.ProcessorCount;
        sessionOptions.IntraOpNumThreads = threads;
        sessionOptions.InterOpNumThreads = 1;
        sessionOptions.ExecutionMode = ExecutionMode.ORT_SEQUENTIAL;
        if (!options.AllowSpinning) sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return $"cpu, {threads} thread{(threads == 1 ? "" : "s")}{PrecisionSuffix(options)}";
    }

    private static string PrecisionSuffix(ExtractorRuntimeOptions options) => options.Precision == ExtractorPrecision.Float16 ? ", float16" : "";

    /// <returns>Null when the CUDA provider was added, else why not.</returns>
    private static string? TryAddCuda(SessionOptions sessionOptions, int deviceId, IReadOnlyDictionary<string, string> extra)
    {
        if (!OrtEnv.Instance().GetAvailableProviders().Contains(CudaProvider))
        {
            return "this build uses ONNX Runtime's CPU package (build with -p:OnnxRuntimeGpu=true for Microsoft.ML.OnnxRuntime.Gpu.Linux)";
        }
        try
        {
            using var cuda = new OrtCUDAProviderOptions();
            cuda.UpdateOptions(new Dictionary<string, string>(extra) { ["device_id"] = deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            sessionOptions.AppendExecutionProvider_CUDA(cuda);
            return null;
        }
        catch (OnnxRuntimeException e)
        {
            // Typically the provider library cannot load one of CUDA 13's (libcudart.so.13, libcublas.so.13, ...): the message names it.
            return $"the CUDA provider did not start ({FirstLine(e.Message)}): check the driver, CUDA 13 and cuDNN 9 libraries and the device index";
        }
    }

    private const string CudaProvider = "CUDAExecutionProvider";

    public void Run(Memory<float> pixels, int count, Memory<float> embeddings)
    {
        int size = Manifest.Input.SizePx, dim = Manifest.Output.Dim;
        int batch = FixedBatchSize ?? count;
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(pixels.Length, batch * 3 * size * size);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddings.Length, batch * dim);

        var outputShape = new long[_outputDims.Length];
        for (int i = 0; i < outputShape.Length; i++) outputShape[i] = _outputDims[i] < 0 ? batch : _outputDims[i];
        Memory<float> batchPixels = pixels[..(batch * 3 * size * size)], batchEmbeddings = embeddings[..(batch * dim)];
        using OrtValue input = Manifest.Input.IsHalf
            ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _halfInput.ToHalf(batchPixels.Span), [batch, 3, size, size])
            : OrtValue.CreateTensorValueFromMemory(LocationOf(batchPixels), batchPixels, [batch, 3, size, size]);
        using OrtValue output = Manifest.Output.IsHalf
            ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _halfOutput.Rent(batchEmbeddings.Length), outputShape)
            : OrtValue.CreateTensorValueFromMemory(LocationOf(batchEmbeddings), batchEmbeddings, outputShape);
        try
        {
            _session.Run(_runOptions, _inputNames, [input], _outputNames, [output]);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException($"Inference with {_source} failed on a batch of {batch}: {FirstLine(e.Message)}", e);
        }
        if (Manifest.Output.IsHalf) _halfOutput.ToSingle(batchEmbeddings.Span);
    }

    public Memory<float> AllocateBuffer(int length) => _pinned?.Allocate(length) ?? new float[length];

    /// <summary>Whether <see cref="AllocateBuffer"/> hands out page-locked memory (CUDA, unless turned off).</summary>
    public bool UsesPinnedBuffers => _pinned?.Available == true;

    /// <summary>Tells ONNX Runtime that one of our page-locked buffers is page-locked, so it copies without staging.</summary>
    private OrtMemoryInfo LocationOf(Memory<float> buffer) =>
        _pinned is not null && System.Runtime.InteropServices.MemoryMarshal.TryGetMemoryManager<float, PinnedBuffers.Buffer>(buffer, out _)
            ? _pinned.Location
            : OrtMemoryInfo.DefaultInstance;

    /// <returns>The fixed batch size, or null when the batch axis is dynamic.</returns>
    private int? CheckInput()
    {
        ExtractorInput input = Manifest.Input;
        if (!_session.InputMetadata.TryGetValue(input.Name, out NodeMetadata? meta))
        {
            throw Mismatch($"has no input '{input.Name}' (its inputs: {string.Join(", ", _session.InputMetadata.Keys)})");
        }
        int[] dims = meta.Dimensions;
        bool ok = meta.IsTensor && meta.ElementDataType == ElementType(input.IsHalf) && dims.Length == 4
            && dims[1] is 3 or -1 && dims[2] is var h && (h == input.SizePx || h == -1) && dims[3] is var w && (w == input.SizePx || w == -1);
        if (!ok)
        {
            throw Mismatch($"input '{input.Name}' is {Describe(meta)}, but the manifest says {input.Dtype} [N, 3, {input.SizePx}, {input.SizePx}]");
        }
        if (_session.InputMetadata.Count > 1)
        {
            throw Mismatch($"has {_session.InputMetadata.Count} inputs ({string.Join(", ", _session.InputMetadata.Keys)}); a feature extractor takes only the image batch");
        }
        return dims[0] > 0 ? dims[0] : null;
    }

    /// <returns>The output shape with -1 on the batch axis; every other axis fixed, multiplying to the manifest's dim.</returns>
    private int[] CheckOutput()
    {
        ExtractorOutput output = Manifest.Output;
        if (!_session.OutputMetadata.TryGetValue(output.Name, out NodeMetadata? meta))
        {
            throw Mismatch($"has no output '{output.Name}' (its outputs: {string.Join(", ", _session.OutputMetadata.Keys)})");
        }
        int[] dims = (int[])meta.Dimensions.Clone();
        long perPatch = 1;
        bool fixedRest = dims.Length >= 2;
        for (int i = 1; i < dims.Length; i++)
        {
            if (dims[i] <= 0) fixedRest = false;
            perPatch *= dims[i];
        }
        if (!meta.IsTensor || meta.ElementDataType != ElementType(output.IsHalf) || !fixedRest || perPatch != output.Dim)
        {
            throw Mismatch($"output '{output.Name}' is {Describe(meta)}, but the manifest says {output.Dtype} [N, {output.Dim}]");
        }
        if (dims[0] > 0 && FixedBatchSize is null) throw Mismatch($"output '{output.Name}' has a fixed batch of {dims[0]} but the input's batch is dynamic");
        dims[0] = -1;
        return dims;
    }

    private static TensorElementType ElementType(bool half) => half ? TensorElementType.Float16 : TensorElementType.Float;

    private ModelLoadException Mismatch(string what) =>
        new($"The {_source} does not match extractor '{Manifest.Id}'{(Manifest.ManifestPath is { } m ? $" (manifest '{m}')" : "")}: it {what}.");

    private static string Describe(NodeMetadata meta) =>
        meta.IsTensor ? $"{meta.ElementDataType.ToString().ToLowerInvariant()} [{string.Join(", ", meta.Dimensions.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]" : meta.OnnxValueType.ToString();

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    public void Dispose()
    {
        _pinned?.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    /// <summary>
    /// Page-locked host memory from the CUDA provider's pinned allocator. A host-to-device copy from pageable memory
    /// goes through a staging buffer in the driver; from page-locked memory it runs at the bus's full speed.
    /// </summary>
    private sealed class PinnedBuffers : IDisposable
    {
        private readonly OrtAllocator? _allocator;
        private readonly List<Buffer> _buffers = [];

        public PinnedBuffers(InferenceSession session, int deviceId)
        {
            Location = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA_PINNED, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.CpuOutput);
            try
            {
                _allocator = new OrtAllocator(session, Location);
            }
            catch (OnnxRuntimeException)
            {
                _allocator = null; // no pinned allocator registered: ordinary arrays still work, only slower
            }
        }

        public OrtMemoryInfo Location { get; }

        public bool Available => _allocator is not null;

        public Memory<float> Allocate(int length)
        {
            if (_allocator is null) return new float[length];
            lock (_buffers)
            {
                var buffer = new Buffer(OrtValue.CreateAllocatedTensorValue(_allocator, TensorElementType.Float, [length]));
                _buffers.Add(buffer);
                return buffer.Memory;
            }
        }

        public void Dispose()
        {
            lock (_buffers)
            {
                foreach (Buffer buffer in _buffers) ((IDisposable)buffer).Dispose();
                _buffers.Clear();
            }
            _allocator?.Dispose();
            Location.Dispose();
        }

        /// <summary>One native tensor's memory seen as <see cref="Memory{T}"/>; it never moves, so pinning is free.</summary>
        public sealed unsafe class Buffer(OrtValue tensor) : System.Buffers.MemoryManager<float>
        {
            public override Span<float> GetSpan() => tensor.GetTensorMutableDataAsSpan<float>();

            public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) =>
                new((float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(GetSpan())) + elementIndex);

            public override void Unpin()
            {
            }

            protected override void Dispose(bool disposing) => tensor.Dispose();
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Extractor {ExtractorId} on {Device} (sha256 {ShortHash}...)")]
    private static partial void LogOpened(ILogger logger, string extractorId, string device, string shortHash);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Device auto: CUDA not used, running on CPU: {Reason}")]
    private static partial void LogCudaFallback(ILogger logger, string reason);

    /// <summary>
    /// A reused float16 staging buffer for models exported in half precision (the usual GPU export): the pipeline
    /// keeps float32 buffers, converted at the model boundary.
    /// </summary>
    private sealed class HalfBuffer
    {
        private Float16[] _values = [];

        public Memory<Float16> Rent(int length)
        {
            if (_values.Length < length) _values = new Float16[length];
            return _values.AsMemory(0, length);
        }

        public Memory<Float16> ToHalf(ReadOnlySpan<float> source)
        {
            Memory<Float16> target = Rent(source.Length);
            System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(source, System.Runtime.InteropServices.MemoryMarshal.Cast<Float16, Half>(target.Span));
            return target;
        }

        public void ToSingle(Span<float> destination) =>
            System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(System.Runtime.InteropServices.MemoryMarshal.Cast<Float16, Half>(_values.AsSpan(0, destination.Length)), destination);
    }
}
