using System.Security.Cryptography;

namespace PathoFed.Features.Extractors;

/// <summary>
/// PathoFed's embedded default feature extractor: a classical, deterministic H&amp;E texture baseline written as an
/// ONNX graph by PathoFed itself, so that a demo needs no model download. It is no substitute for a pretrained
/// pathology foundation model; it gives MIL heads stain-amount and texture cues at a few scales.
/// </summary>
/// <remarks>
/// <para>
/// Input <see cref="InputName"/>: float32 [N, 3, 224, 224], NCHW, RGB, raw 0-255 values (no mean/std normalisation),
/// patches read at <see cref="TargetMpp"/> µm/px. Output <see cref="OutputName"/>: float32 [N, <see cref="EmbeddingDim"/>].
/// </para>
/// <para>The graph, per patch:</para>
/// <list type="number">
/// <item>Optical density OD = -ln((I + 1) / 256) per channel, natural log, with I clipped to [0, 255] so OD lies in
/// [0, ln 256 ≈ 5.55]. (scikit-image's rgb2hed divides by ln(1e-6) instead; values here are in natural-log OD units.)</item>
/// <item>Ruifrok-Johnston colour deconvolution with the inverse of scikit-image's <c>rgb_from_hed</c>
/// (H [0.65, 0.70, 0.29], E [0.07, 0.99, 0.11], DAB [0.27, 0.57, 0.78], rows in R, G, B), as a 1x1 Conv, then
/// clamped at 0: haematoxylin (H), eosin (E) and residual (the DAB slot, empty in plain H&amp;E) concentrations.</item>
/// <item>On H and E, a fixed separable filter bank, Gaussians truncated at 4σ and sampled, with reflect borders
/// (the edge pixel not repeated; OpenCV's BORDER_REFLECT_101): Gaussian σ = 1, 2, 4 (<c>gauss_s*</c>); scale-normalised
/// Laplacian of Gaussian σ²(∂xx + ∂yy) at σ = 1, 2, 4 (<c>log_s*</c>, negative on stained blobs); scale-normalised
/// first derivatives σ∂/∂x (<c>dx_s*</c>, positive where stain increases to the right) and σ∂/∂y (<c>dy_s*</c>,
/// positive where it increases downwards) at σ = 1, 2; plus the unfiltered channel (<c>raw</c>).</item>
/// <item>Per map, over the 224 x 224 pixels: <c>mean</c>; <c>std</c>, the population standard deviation; and for the
/// zero-mean maps (LoG and derivatives) <c>absmean</c>, the mean absolute response. The residual channel gets mean and std.</item>
/// </list>
/// <para>
/// Feature order (<see cref="FeatureNames"/>, 60 entries, named <c>stain.map.statistic</c>): for H, then E:
/// <c>raw.mean, raw.std</c>; <c>gauss_s1, gauss_s2, gauss_s4</c> each <c>.mean, .std</c>;
/// <c>log_s1, log_s2, log_s4, dx_s1, dx_s2, dy_s1, dy_s2</c> each <c>.mean, .std, .absmean</c>
/// (29 per stain); then <c>residual.raw.mean, residual.raw.std</c>.
/// </para>
/// <para>
/// The model bytes are the same on every call, run and build (<see cref="Sha256"/>): they depend only on this code,
/// with kernel values computed in double and rounded to float32.
/// </para>
/// </remarks>
public static class HandETextureExtractor
{
    public const string Id = "pathofed-he-texture-v1";

    public const string InputName = "pixels";

    public const string OutputName = "embedding";

    /// <summary>Patch side in pixels: the input is [N, 3, InputSizePx, InputSizePx].</summary>
    public const int InputSizePx = 224;

    /// <summary>The resolution, in µm/px, patches are meant to be read at (20x on most scanners).</summary>
    public const double TargetMpp = 0.5;

    /// <summary>Length of one embedding: the number of entries of <see cref="FeatureNames"/>.</summary>
    public const int EmbeddingDim = 60;

    private const string Description =
        "PathoFed H&E texture baseline (" + Id + "): optical density, Ruifrok-Johnston colour deconvolution " +
        "(scikit-image rgb_from_hed), Gaussian, Laplacian-of-Gaussian and first-derivative filters at sigma 1, 2, 4 px " +
        "on haematoxylin and eosin with reflect borders, pooled to mean, std and mean |response|. " +
        "Input: float32 [N,3,224,224] RGB 0-255, patches at 0.5 um/px. Deterministic; no learned weights.";

    private static readonly Lazy<string> Hash = new(() => Convert.ToHexStringLower(SHA256.HashData(BuildModel())));

    /// <summary>The feature each embedding column holds, in column order (see the class remarks).</summary>
    public static IReadOnlyList<string> FeatureNames { get; } = Array.AsReadOnly(HandETextureGraph.Layout.Names);

    /// <summary>Lower-case hex SHA-256 of <see cref="BuildModel"/>'s bytes, as recorded in the model manifest.</summary>
    public static string Sha256 => Hash.Value;

    /// <summary>The manifest the pipeline reads patches by; models/pathofed-he-texture-v1.json says the same (a test checks).</summary>
    public static ExtractorManifest Manifest { get; } = new ExtractorManifest
    {
        Id = Id,
        Description = Description,
        Onnx = ExtractorManifest.Embedded,
        Licence = "Apache-2.0",
        Input = new ExtractorInput { Name = InputName, SizePx = InputSizePx, Range = "0-255" },
        TargetMpp = TargetMpp,
        Output = new ExtractorOutput { Name = OutputName, Dim = EmbeddingDim },
    }.Validate();

    /// <summary>Writes the model: the bytes of a .onnx file, identical on every call.</summary>
    public static byte[] BuildModel()
    {
        if (HandETextureGraph.Layout.Names.Length != EmbeddingDim)
        {
            throw new InvalidOperationException($"{Id} lays out {HandETextureGraph.Layout.Names.Length} features but declares EmbeddingDim {EmbeddingDim}");
        }

        var graph = HandETextureGraph.Create(Id, Description);
        graph.AddMetadata("pathofed.model_id", Id)
            .AddMetadata("pathofed.input", $"{InputName}: float32 [N,3,{InputSizePx},{InputSizePx}], NCHW, RGB, 0-255, no normalisation")
            .AddMetadata("pathofed.target_mpp", "0.5")
            .AddMetadata("pathofed.output", $"{OutputName}: float32 [N,{EmbeddingDim}]")
            .AddMetadata("pathofed.feature_names", string.Join(',', HandETextureGraph.Layout.Names));
        return graph.ToBytes();
    }
}
