namespace PathoFed.Mil.Data;

/// <summary>
/// The feature extractor that produced a set of embeddings and their width: a model trained on one origin can only
/// score bags of the same origin, so data sets and model folders both carry it.
/// </summary>
public sealed record FeatureOrigin(string ExtractorId, string ExtractorSha256, int EmbeddingDim)
{
    /// <summary>"id (sha256 abcdef012345…, 768-d)" for messages.</summary>
    public override string ToString() =>
        $"{ExtractorId} (sha256 {(ExtractorSha256.Length > 12 ? ExtractorSha256[..12] + "…" : ExtractorSha256)}, {EmbeddingDim}-d)";
}

/// <summary>A slide left out of a data set and why; loaders list these instead of dropping slides silently.</summary>
public sealed record SkippedSlide(string SlideId, string Reason);
