using System.Diagnostics;
using System.Threading.Channels;
using OpenCvSharp;
using PathoFed.Features.Extractors;
using PathoFed.Features.Storage;
using PathoFed.Slides;
using PathoFed.Slides.Patching;

namespace PathoFed.Features.Pipeline;

/// <summary>Batching and threading of an <see cref="EmbeddingPipeline"/>. Immutable, validated once.</summary>
public sealed record EmbeddingPipelineOptions
{
    public static EmbeddingPipelineOptions Default { get; } = new();

    /// <summary>Patches per inference call (a model with a fixed batch axis overrides it).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Threads reading and preprocessing patches; inference overlaps with them.</summary>
    public int ReaderThreads { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Rows per Parquet row group; null sizes groups to about 16 MB of embeddings.</summary>
    public int? RowGroupRows { get; init; }

    public EmbeddingPipelineOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BatchSize, 4096, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReaderThreads, 1, nameof(ReaderThreads));
        if (RowGroupRows is < 1) throw new ArgumentOutOfRangeException(nameof(RowGroupRows), RowGroupRows, "must be positive");
        return this;
    }
}

/// <summary>
/// Where a slide's time went. Busy times are summed over threads; <see cref="InferenceIdle"/> is how long the model
/// waited for input (the pipeline's cost over the model alone).
/// </summary>
public sealed record EmbeddingStats(int Patches, int Batches, TimeSpan Wall, TimeSpan ReadBusy, TimeSpan InferenceBusy, TimeSpan WriteBusy)
{
    public TimeSpan InferenceIdle => Wall - InferenceBusy;

    public double PatchesPerSecond => Patches / Math.Max(Wall.TotalSeconds, 1e-9);
}

/// <summary>
/// Embeds a slide's patch grid into a features table as a pipeline: reader threads decode and preprocess patches into
/// pooled batch buffers, one inference stage runs the model while the next batches are filled, and a writer streams
/// rows out in patch order. Bounded channels give backpressure, and the fixed pool of batch buffers keeps memory
/// flat whatever the slide's size. One instance per extractor; it reuses its buffers across slides.
/// </summary>
public sealed class EmbeddingPipeline
{
    private readonly IFeatureExtractor _extractor;
    private readonly EmbeddingPipelineOptions _options;
    private readonly int _batchSize;
    private readonly int _valuesPerPatch;
    private readonly int _dim;
    private readonly int _rowGroupRows;
    private BatchBuffer[]? _pool;

    public EmbeddingPipeline(IFeatureExtractor extractor, EmbeddingPipelineOptions? options = null)
    {
        _extractor = extractor;
        _options = (options ?? EmbeddingPipelineOptions.Default).Validate();
        _batchSize = extractor.FixedBatchSize ?? _options.BatchSize;
        int size = extractor.Manifest.Input.SizePx;
        _valuesPerPatch = 3 * size * size;
        _dim = extractor.Manifest.Output.Dim;
        _rowGroupRows = _options.RowGroupRows ?? Math.Clamp((4 << 20) / _dim, 1024, 16384);
    }

    /// <summary>The batch size in use (the model's, when its batch axis is fixed).</summary>
    public int BatchSize => _batchSize;

    /// <summary>
    /// Reads <paramref name="patches"/> from <paramref name="slide"/> at <paramref name="geometry"/>, embeds them and
    /// appends them to <paramref name="writer"/> in order. <paramref name="written"/> gets the running count of rows written.
    /// </summary>
    public async Task<EmbeddingStats> RunAsync(
        ISlide slide, PatchGridGeometry geometry, IReadOnlyList<PatchCoordinate> patches, FeatureTableWriter writer,
        IProgress<int>? written = null, CancellationToken cancellationToken = default)
    {
        var wall = Stopwatch.StartNew();
        int batches = (patches.Count + _batchSize - 1) / _batchSize;
        var run = new Run(this, slide, geometry, patches, writer, written, batches, cancellationToken);
        await run.ExecuteAsync();
        return new EmbeddingStats(patches.Count, batches, wall.Elapsed,
            Stopwatch.GetElapsedTime(0, run.ReadTicks), Stopwatch.GetElapsedTime(0, run.InferenceTicks), Stopwatch.GetElapsedTime(0, run.WriteTicks));
    }

    private BatchBuffer[] Pool()
    {
        int count = _options.ReaderThreads + 2; // each reader fills one, the model works on one, the writer drains one
        return _pool ??= Enumerable.Range(0, count)
            .Select(_ => new BatchBuffer(_extractor.AllocateBuffer(_batchSize * _valuesPerPatch), _extractor.AllocateBuffer(_batchSize * _dim))).ToArray();
    }

    /// <summary>A batch's pixels and embeddings, in the extractor's own memory (page-locked on a GPU).</summary>
    private sealed class BatchBuffer(Memory<float> pixels, Memory<float> embeddings)
    {
        public Memory<float> Pixels { get; } = pixels;
        public Memory<float> Embeddings { get; } = embeddings;
        public int Index { get; set; }
        public int Count { get; set; }
    }

    /// <summary>One slide's pass: three stages joined by channels, cancelled together when any of them fails.</summary>
    private sealed class Run(
        EmbeddingPipeline owner, ISlide slide, PatchGridGeometry geometry, IReadOnlyList<PatchCoordinate> patches,
        FeatureTableWriter writer, IProgress<int>? written, int batches, CancellationToken cancellationToken)
    {
        private readonly Channel<BatchBuffer> _free = Channel.CreateUnbounded<BatchBuffer>();
        private readonly Channel<BatchBuffer> _filled = Channel.CreateBounded<BatchBuffer>(owner._options.ReaderThreads + 2);
        private readonly Channel<BatchBuffer> _embedded = Channel.CreateBounded<BatchBuffer>(owner._options.ReaderThreads + 2);
        private int _nextBatch = -1;
        private long _readTicks, _inferenceTicks, _writeTicks;

        public long ReadTicks => _readTicks;
        public long InferenceTicks => _inferenceTicks;
        public long WriteTicks => _writeTicks;

        public async Task ExecuteAsync()
        {
            foreach (BatchBuffer buffer in owner.Pool()) _free.Writer.TryWrite(buffer);
            using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            CancellationToken token = failed.Token;

            var readers = new Task[owner._options.ReaderThreads];
            for (int r = 0; r < readers.Length; r++) readers[r] = Stage(() => ReadLoopAsync(token), failed);
            Task readersDone = Task.WhenAll(readers).ContinueWith(t => _filled.Writer.TryComplete(t.Exception), TaskScheduler.Default);
            Task inference = Stage(() => InferLoopAsync(token), failed);
            Task writing = Stage(() => WriteLoopAsync(token), failed);

            try
            {
                await Task.WhenAll([.. readers, readersDone, inference, writing]);
            }
            catch
            {
                // Report the stage that failed first, not the cancellations it caused in the others.
                Exception[] errors = readers.Append(inference).Append(writing).Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).ToArray();
                Exception? cause = errors.FirstOrDefault(e => e is not OperationCanceledException);
                if (cause is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
                cancellationToken.ThrowIfCancellationRequested();
                throw;
            }
        }

        /// <summary>Runs a stage on the thread pool; a failure cancels every other stage.</summary>
        private static Task Stage(Func<Task> body, CancellationTokenSource failed) => Task.Run(async () =>
        {
            try
            {
                await body();
            }
            catch
            {
                failed.Cancel();
                throw;
            }
        });

        private async Task ReadLoopAsync(CancellationToken token)
        {
            using var reader = new PatchReader(slide, geometry);
            using var preprocessor = new PatchPreprocessor(owner._extractor.Manifest.Input);
            using var patch = new Mat();
            int batchSize = owner._batchSize, perPatch = owner._valuesPerPatch;
            while (true)
            {
                BatchBuffer buffer = await _free.Reader.ReadAsync(token);
                int index = Interlocked.Increment(ref _nextBatch);
                if (index >= batches)
                {
                    _free.Writer.TryWrite(buffer);
                    return;
                }
                long started = Stopwatch.GetTimestamp();
                int first = index * batchSize, count = Math.Min(batchSize, patches.Count - first);
                for (int i = 0; i < count; i++)
                {
                    token.ThrowIfCancellationRequested();
                    PatchCoordinate p = patches[first + i];
                    reader.Read(p.Level0X, p.Level0Y, patch);
                    preprocessor.Write(patch, buffer.Pixels.Span.Slice(i * perPatch, perPatch));
                }
                // A fixed-batch model still runs on the tail; its padding rows are discarded, but keep them deterministic.
                if (count < batchSize) buffer.Pixels.Span[(count * perPatch)..].Clear();
                (buffer.Index, buffer.Count) = (index, count);
                Interlocked.Add(ref _readTicks, Stopwatch.GetTimestamp() - started);
                await _filled.Writer.WriteAsync(buffer, token);
            }
        }

        private async Task InferLoopAsync(CancellationToken token)
        {
            try
            {
                await foreach (BatchBuffer buffer in _filled.Reader.ReadAllAsync(token))
                {
                    long started = Stopwatch.GetTimestamp();
                    owner._extractor.Run(buffer.Pixels, buffer.Count, buffer.Embeddings);
                    _inferenceTicks += Stopwatch.GetTimestamp() - started;
                    await _embedded.Writer.WriteAsync(buffer, token);
                }
                _embedded.Writer.TryComplete();
            }
            catch (Exception e)
            {
                _embedded.Writer.TryComplete(e);
                throw;
            }
        }

        /// <summary>Puts batches back in patch order and writes them in row groups; each buffer returns to the pool once copied.</summary>
        private async Task WriteLoopAsync(CancellationToken token)
        {
            int dim = owner._dim, rowGroup = owner._rowGroupRows;
            var stagedPatches = new PatchCoordinate[rowGroup];
            var stagedEmbeddings = new float[rowGroup * dim];
            int staged = 0, done = 0, expected = 0;
            var waiting = new Dictionary<int, BatchBuffer>();

            async Task FlushAsync()
            {
                long started = Stopwatch.GetTimestamp();
                await writer.AppendAsync(stagedPatches.AsMemory(0, staged), stagedEmbeddings.AsMemory(0, staged * dim), token);
                _writeTicks += Stopwatch.GetTimestamp() - started;
                staged = 0;
            }

            await foreach (BatchBuffer buffer in _embedded.Reader.ReadAllAsync(token))
            {
                waiting.Add(buffer.Index, buffer);
                while (waiting.Remove(expected, out BatchBuffer? ready))
                {
                    int first = expected * owner._batchSize;
                    for (int i = 0; i < ready.Count; i++)
                    {
                        if (staged == rowGroup) await FlushAsync();
                        stagedPatches[staged] = patches[first + i];
                        ready.Embeddings.Span.Slice(i * dim, dim).CopyTo(stagedEmbeddings.AsSpan(staged * dim, dim));
                        staged++;
                    }
                    done += ready.Count;
                    expected++;
                    _free.Writer.TryWrite(ready);
                    written?.Report(done);
                }
            }
            if (staged > 0) await FlushAsync();
            if (expected != batches) throw new InvalidOperationException($"Pipeline ended after {expected} of {batches} batches");
        }
    }
}
