namespace PathoFed.Features.Extractors;

/// <summary>
/// Turns a batch of preprocessed patches into embeddings. One instance serves every slide of a job; <see cref="Run"/>
/// is called from one thread at a time (the pipeline's inference stage).
/// </summary>
public interface IFeatureExtractor : IDisposable
{
    /// <summary>What the model takes and gives; the preprocessing follows it.</summary>
    ExtractorManifest Manifest { get; }

    /// <summary>Lower-case hex SHA-256 of the model bytes, recorded in every features table it writes.</summary>
    string Sha256 { get; }

    /// <summary>Where inference runs, in words (e.g. "cpu, 2 threads" or "cuda:0").</summary>
    string Device { get; }

    /// <summary>The batch size the model requires when its batch dimension is fixed; null when any batch size works.</summary>
    int? FixedBatchSize { get; }

    /// <summary>
    /// Embeds <paramref name="count"/> patches: <paramref name="pixels"/> holds count x 3 x S x S floats (NCHW, S =
    /// <see cref="ExtractorInput.SizePx"/>), <paramref name="embeddings"/> receives count x dim floats, row-major.
    /// Both buffers may be longer; for a fixed-batch model they must hold a whole batch (the rest is padding).
    /// </summary>
    void Run(Memory<float> pixels, int count, Memory<float> embeddings);

    /// <summary>
    /// A buffer of <paramref name="length"/> floats for <see cref="Run"/>'s pixels or embeddings, owned by the extractor
    /// and valid until it is disposed. A GPU extractor hands out page-locked host memory, which the GPU copies from and
    /// to directly; the default is an ordinary array.
    /// </summary>
    Memory<float> AllocateBuffer(int length) => new float[length];
}
