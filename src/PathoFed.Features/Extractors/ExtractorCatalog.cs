namespace PathoFed.Features.Extractors;

/// <summary>
/// Finds an extractor by id or path. Ids are looked up as <c>ID.json</c> manifests in <c>$PATHOFED_MODELS</c>, then in
/// <c>models/</c> beside the application, then in the repository's <c>models/</c>; the embedded default needs no file.
/// </summary>
public static class ExtractorCatalog
{
    public const string ModelsEnvironmentVariable = "PATHOFED_MODELS";

    /// <summary>The extractor used when none is named: PathoFed's own, built in code, no download.</summary>
    public static string DefaultId => HandETextureExtractor.Id;

    /// <summary>The extractors PathoFed makes itself (no manifest file needed): the texture baseline and the packaged ResNet-18.</summary>
    public static IReadOnlyList<ExtractorManifest> BuiltIn { get; } = [HandETextureExtractor.Manifest, ResNet18ImageNet.Manifest];

    /// <summary>Folders searched for manifests, most specific first; only those that exist.</summary>
    public static IReadOnlyList<string> SearchFolders()
    {
        var folders = new List<string>();
        if (Environment.GetEnvironmentVariable(ModelsEnvironmentVariable) is { Length: > 0 } fromEnvironment) folders.Add(fromEnvironment);
        folders.Add(Path.Combine(AppContext.BaseDirectory, "models"));
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PathoFed.sln"))) folders.Add(Path.Combine(dir.FullName, "models"));
        }
        return folders.Where(Directory.Exists).Select(Path.GetFullPath).Distinct().ToList();
    }

    /// <summary>
    /// Resolves <paramref name="idOrPath"/>: a manifest (.json), an ONNX file with a manifest of the same name beside
    /// it, or an id.
    /// </summary>
    /// <exception cref="ModelLoadException">Nothing matches, or the manifest is invalid; the message lists what was tried.</exception>
    public static ExtractorManifest Find(string idOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrPath);
        if (idOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return File.Exists(idOrPath)
                ? ExtractorManifest.Read(idOrPath)
                : throw new ModelLoadException($"Extractor manifest '{idOrPath}' does not exist.");
        }
        if (idOrPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(idOrPath)) throw new ModelLoadException($"Model file '{idOrPath}' does not exist.");
            string beside = Path.ChangeExtension(idOrPath, ".json");
            return File.Exists(beside)
                ? ExtractorManifest.Read(beside) with { Onnx = Path.GetFullPath(idOrPath) }
                : throw new ModelLoadException(
                    $"Model file '{idOrPath}' has no manifest '{beside}' saying its input size, normalisation, µm/px and output; " +
                    "copy the closest one from models/ and edit it (see tools/MODELS.md).");
        }

        IReadOnlyList<string> folders = SearchFolders();
        foreach (string folder in folders)
        {
            string candidate = Path.Combine(folder, idOrPath + ".json");
            if (File.Exists(candidate)) return ExtractorManifest.Read(candidate);
        }
        if (BuiltIn.FirstOrDefault(m => m.Id == idOrPath) is { } builtIn) return builtIn;

        string known = string.Join(", ", KnownIds(folders));
        throw new ModelLoadException(
            $"No extractor '{idOrPath}': no {idOrPath}.json in {(folders.Count == 0 ? "any models folder" : string.Join(", ", folders))}. " +
            $"Known ids: {known}. Give a manifest or .onnx path, or set {ModelsEnvironmentVariable}.");
    }

    /// <summary>The ONNX file a manifest names: absolute, else beside the manifest, else in <c>$PATHOFED_MODELS</c>.</summary>
    /// <exception cref="ModelLoadException">The file is in none of those places (the message says how to export it).</exception>
    public static string OnnxPathFor(ExtractorManifest manifest)
    {
        if (manifest.IsEmbedded) throw new ArgumentException($"'{manifest.Id}' is built in code and has no file.", nameof(manifest));
        var candidates = new List<string>();
        if (Path.IsPathRooted(manifest.Onnx)) candidates.Add(manifest.Onnx);
        else
        {
            if (manifest.ManifestPath is { } manifestPath) candidates.Add(Path.Combine(Path.GetDirectoryName(manifestPath)!, manifest.Onnx));
            if (Environment.GetEnvironmentVariable(ModelsEnvironmentVariable) is { Length: > 0 } models) candidates.Add(Path.Combine(models, manifest.Onnx));
        }
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new ModelLoadException(
                $"Extractor '{manifest.Id}' needs its ONNX file '{manifest.Onnx}', not found at {string.Join(" or ", candidates.Select(c => $"'{c}'"))}. " +
                "Export it from your copy of the weights with tools/export-extractor.py (see tools/MODELS.md).");
    }

    private static IEnumerable<string> KnownIds(IReadOnlyList<string> folders) =>
        folders.SelectMany(f => Directory.EnumerateFiles(f, "*.json")).Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Concat(BuiltIn.Select(m => m.Id)).Distinct().Order(StringComparer.Ordinal);
}
