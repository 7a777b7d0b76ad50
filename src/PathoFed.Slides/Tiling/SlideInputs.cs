using System.Globalization;

namespace PathoFed.Slides.Tiling;

/// <summary>Raised when the list of slides itself is unusable: a missing input, a bad manifest, clashing slide ids.</summary>
public sealed class SlideInputException(string message) : PathoFedException(message);

/// <summary>
/// Turns command-line inputs into slides: files are taken as they are, folders are searched (recursively) for
/// slide files, and <c>.csv</c> files are manifests with a <c>path</c> column and optional <c>slide_id</c> and
/// <c>mpp</c> columns (relative paths are relative to the manifest).
/// </summary>
public static class SlideInputs
{
    /// <summary>File types searched for in folders: OpenSlide's formats, DICOM (for a clear error) and plain images.</summary>
    public static readonly string[] SlideExtensions =
        [".svs", ".tif", ".tiff", ".ndpi", ".vms", ".vmu", ".scn", ".mrxs", ".bif", ".svslide", ".dcm", ".png", ".jpg", ".jpeg", ".bmp"];

    /// <exception cref="SlideInputException">An input does not exist, a manifest is malformed, or two slides share an id.</exception>
    public static IReadOnlyList<SlideSource> Resolve(IEnumerable<string> inputs, double? fallbackMpp = null)
    {
        var sources = new List<SlideSource>();
        foreach (string input in inputs)
        {
            if (Directory.Exists(input))
            {
                sources.AddRange(Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                    .Where(IsSlideFile)
                    .Order(StringComparer.Ordinal)
                    .Select(path => new SlideSource(SlideIdFor(path), path, MppFallback: fallbackMpp)));
            }
            else if (input.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            {
                sources.AddRange(ReadManifest(input, fallbackMpp));
            }
            else
            {
                // A file, or a missing one: the latter is still listed so that it fails on its own while the others carry on.
                sources.Add(new SlideSource(SlideIdFor(input), input, MppFallback: fallbackMpp));
            }
        }
        sources = DisambiguateByExtension(sources);
        RejectDuplicateIds(sources);
        return sources;
    }

    /// <summary>The file name without its extension, with characters unsafe in folder names replaced.</summary>
    public static string SlideIdFor(string path) => SafeId(System.IO.Path.GetFileNameWithoutExtension(path));

    private static bool IsSlideFile(string path)
    {
        string name = System.IO.Path.GetFileName(path);
        return !name.StartsWith('.') && SlideExtensions.Contains(System.IO.Path.GetExtension(path).ToLowerInvariant());
    }

    private static string SafeId(string id)
    {
        char[] invalid = System.IO.Path.GetInvalidFileNameChars();
        string safe = new(id.Select(c => invalid.Contains(c) || char.IsControl(c) ? '_' : c).ToArray());
        return safe is "" or "." or ".." ? "_" + safe : safe;
    }

    private static IEnumerable<SlideSource> ReadManifest(string manifestPath, double? fallbackMpp)
    {
        if (!File.Exists(manifestPath)) throw new SlideInputException($"Manifest '{manifestPath}' not found.");
        List<string[]> rows = Csv.Parse(File.ReadAllText(manifestPath));
        if (rows.Count == 0) throw new SlideInputException($"Manifest '{manifestPath}' is empty; it needs a header row with a 'path' column.");

        string[] header = rows[0].Select(h => h.Trim().ToLowerInvariant()).ToArray();
        int pathColumn = Array.FindIndex(header, h => h is "path" or "slide_path" or "file");
        int idColumn = Array.IndexOf(header, "slide_id");
        int mppColumn = Array.IndexOf(header, "mpp");
        if (pathColumn < 0)
        {
            throw new SlideInputException($"Manifest '{manifestPath}' has no 'path' column (columns: {string.Join(", ", header)}).");
        }

        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(manifestPath))!;
        for (int r = 1; r < rows.Count; r++)
        {
            string[] row = rows[r];
            if (row.All(string.IsNullOrWhiteSpace)) continue;
            string Cell(int column) => column >= 0 && column < row.Length ? row[column].Trim() : "";

            string path = Cell(pathColumn);
            if (path == "") throw new SlideInputException($"Manifest '{manifestPath}' line {r + 1}: empty path.");
            path = System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.Combine(folder, path);

            double? mpp = null;
            if (Cell(mppColumn) is { Length: > 0 } mppText)
            {
                if (!double.TryParse(mppText, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0))
                {
                    throw new SlideInputException($"Manifest '{manifestPath}' line {r + 1}: mpp '{mppText}' is not a positive number.");
                }
                mpp = value;
            }
            string id = Cell(idColumn) is { Length: > 0 } given ? SafeId(given) : SlideIdFor(path);
            yield return new SlideSource(id, path, mpp, fallbackMpp);
        }
    }

    /// <summary>Files that differ only by extension (boxes.png, boxes.tiff) keep the extension in their ids.</summary>
    private static List<SlideSource> DisambiguateByExtension(List<SlideSource> sources)
    {
        var clashing = sources.GroupBy(s => s.SlideId, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        return sources
            .Select(s => clashing.Contains(s.SlideId) && s.SlideId == SlideIdFor(s.Path)
                ? s with { SlideId = SafeId(System.IO.Path.GetFileName(s.Path)) }
                : s)
            .ToList();
    }

    private static void RejectDuplicateIds(List<SlideSource> sources)
    {
        var clashes = sources.GroupBy(s => s.SlideId, StringComparer.Ordinal).Where(g => g.Count() > 1).ToList();
        if (clashes.Count == 0) return;
        string detail = string.Join("; ", clashes.Select(g => $"'{g.Key}': {string.Join(", ", g.Select(s => s.Path))}"));
        throw new SlideInputException($"Slide ids must be unique, since each names an output folder. Clashing: {detail}. Use a manifest CSV with a slide_id column.");
    }
}
