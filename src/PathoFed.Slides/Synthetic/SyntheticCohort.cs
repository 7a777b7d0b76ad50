using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PathoFed.Slides.Synthetic;

/// <summary>One planned slide of a synthetic cohort.</summary>
/// <param name="Site">The site it belongs to, or <see cref="SyntheticCohort.HeldOutSite"/>.</param>
/// <param name="StainSite">The site whose staining it shares (for held-out slides, the site it was drawn from).</param>
/// <param name="SlideId">File name without extension, unique in the cohort; also its patient id.</param>
/// <param name="Label"><see cref="SyntheticCohort.TumourLabel"/> or <see cref="SyntheticCohort.NormalLabel"/>.</param>
/// <param name="RelativePath">Where the slide lies under the cohort folder, with '/' separators.</param>
public sealed record SyntheticCohortSlide(string Site, string StainSite, string SlideId, string Label, string RelativePath, SyntheticSlideSpec Spec)
{
    public bool IsTumour => Label == SyntheticCohort.TumourLabel;
}

/// <summary>Where <see cref="SyntheticCohort.Write"/> stands: <paramref name="Done"/> of <paramref name="Total"/> slides, the last one named.</summary>
/// <param name="Skipped">The slide was already complete from an earlier run.</param>
public sealed record SyntheticCohortProgress(int Done, int Total, string SlideId, bool Skipped);

/// <summary>What <see cref="SyntheticCohort.Write"/> did.</summary>
public sealed record SyntheticCohortResult(string Folder, IReadOnlyList<SyntheticCohortSlide> Slides, int Written, int Skipped);

/// <summary>The cohort folder holds a different cohort than the one asked for.</summary>
public sealed class SyntheticCohortException(string message) : PathoFedException(message);

/// <summary>
/// Generates a labelled synthetic cohort for federated MIL: per site <c>&lt;site&gt;/slides/&lt;slide&gt;.svs</c>
/// (Aperio-flavour pyramids), <c>&lt;site&gt;/labels.csv</c> (<c>slide_id,patient_id,site,label</c> with label tumour or
/// normal; LabelsCsv requires the patient column), <c>&lt;site&gt;/foci.csv</c> (the tumour foci as
/// ellipses, level-0 px) and <c>&lt;site&gt;/foci/&lt;slide&gt;.geojson</c> (the same foci as polygons, for QuPath and for
/// checking heatmaps); the same under <c>held-out/</c> for evaluation; and <c>cohort.json</c>, the options. Tumour slides
/// carry 1-3 foci over 8-20% of their tissue, normal slides none; every site stains a little differently (non-IID),
/// with the same share of tumour at every site.
/// </summary>
public static class SyntheticCohort
{
    /// <summary>The label of slides with tumour foci (class 1: LabelsCsv sorts class names, normal before tumour).</summary>
    public const string TumourLabel = "tumour";

    /// <summary>The label of slides without tumour.</summary>
    public const string NormalLabel = "normal";
    public const string HeldOutSite = "held-out";
    public const string SlidesFolder = "slides";
    public const string SlideExtension = ".svs";
    public const string LabelsFileName = "labels.csv";
    public const string FociFileName = "foci.csv";
    public const string FociFolder = "foci";
    public const string FociGeoJsonExtension = ".geojson";
    public const string ManifestFileName = "cohort.json";
    public const string LabelsHeader = "slide_id,patient_id,site,label";
    public const string FociHeader = "slide_id,focus,center_x,center_y,radius_x,radius_y";

    // Bump when the same options would render different slides, so that an old folder is not resumed into a mix.
    private const string Generator = "pathofed-synthetic-cohort-v1";
    private const double SlideStainJitter = 0.04;

    // Vertices of a focus polygon in the GeoJSON: at 4096 px slides a 64-gon strays under 0.2% of the radius from the ellipse.
    private const int FocusPolygonVertices = 64;

    /// <summary>The cohort's slides, in site order then held-out, without touching the disk; the same options give the same plan.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static IReadOnlyList<SyntheticCohortSlide> Plan(SyntheticCohortOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ulong seed = SyntheticHash.Mix(0xC0_4027UL ^ (ulong)(uint)options.Seed);
        var stains = new SyntheticStain[options.Sites.Count];
        for (int s = 0; s < stains.Length; s++)
        {
            var random = new SplitMix64(SyntheticHash.Hash(seed, 1, s));
            stains[s] = new SyntheticStain(1 + options.SiteStainShift * random.Range(-1, 1), 1 + options.SiteStainShift * random.Range(-1, 1));
        }

        var slides = new List<SyntheticCohortSlide>(options.Sites.Count * options.SlidesPerSite + options.HeldOutSlides);
        for (int s = 0; s <= options.Sites.Count; s++)
        {
            bool heldOut = s == options.Sites.Count;
            string site = heldOut ? HeldOutSite : options.Sites[s];
            int count = heldOut ? options.HeldOutSlides : options.SlidesPerSite;
            bool[] tumour = AssignTumour(count, options.TumourFraction, SyntheticHash.Hash(seed, 2, s));
            for (int i = 0; i < count; i++)
            {
                int stainSite = heldOut ? i % options.Sites.Count : s;
                var random = new SplitMix64(SyntheticHash.Hash(seed, 3 + s, i));
                int slideSeed = (int)(random.NextUInt64() & int.MaxValue);
                SyntheticStain siteStain = stains[stainSite];
                var stain = new SyntheticStain(
                    siteStain.Haematoxylin * (1 + SlideStainJitter * random.Range(-1, 1)),
                    siteStain.Eosin * (1 + SlideStainJitter * random.Range(-1, 1)));
                SyntheticSlideSpec spec = SyntheticSlideSpec.WithRandomTissue(options.SlideSizePx, options.SlideSizePx, slideSeed) with { Stain = stain };
                if (tumour[i]) spec = spec.WithRandomTumourFoci();
                string slideId = string.Create(CultureInfo.InvariantCulture, $"{site}-{i + 1:D3}");
                slides.Add(new SyntheticCohortSlide(site, options.Sites[stainSite], slideId, tumour[i] ? TumourLabel : NormalLabel,
                    $"{site}/{SlidesFolder}/{slideId}{SlideExtension}", spec));
            }
        }
        return slides;
    }

    /// <summary>
    /// Writes the cohort under <paramref name="folder"/>, slides in parallel. Resumable: slides already there are kept
    /// (the writer renames a slide into place only once complete), leftovers of an interrupted write are removed, and
    /// the labels and foci files are written last.
    /// </summary>
    /// <param name="progress">Receives one report per slide, written or skipped.</param>
    /// <exception cref="ArgumentException">The options are invalid, or the folder is empty.</exception>
    /// <exception cref="SyntheticCohortException">The folder holds a cohort made with other options.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; finished slides stay, unfinished ones leave nothing.</exception>
    /// <exception cref="IOException">A file could not be written.</exception>
    public static SyntheticCohortResult Write(string folder, SyntheticCohortOptions options, IProgress<SyntheticCohortProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        IReadOnlyList<SyntheticCohortSlide> slides = Plan(options);
        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        ClaimFolder(folder, options);

        var groups = slides.GroupBy(slide => slide.Site).ToList();
        foreach (var group in groups)
        {
            string slidesFolder = Path.Combine(folder, group.Key, SlidesFolder);
            Directory.CreateDirectory(slidesFolder);
            Directory.CreateDirectory(Path.Combine(folder, group.Key, FociFolder));
            AtomicFile.RemoveLeftoversIn(slidesFolder); // slide writes killed before their rename
        }

        int done = 0, written = 0, skipped = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelSlides, CancellationToken = cancellationToken };
        Parallel.ForEach(slides, parallel, slide =>
        {
            string path = Path.Combine(folder, slide.RelativePath);
            bool exists = File.Exists(path);
            if (!exists) SyntheticSlideWriter.Write(path, slide.Spec, progress: null, cancellationToken);
            lock (parallel) // counts and reports in step, so that "k of n" lines arrive in order
            {
                if (exists) skipped++;
                else written++;
                progress?.Report(new SyntheticCohortProgress(++done, slides.Count, slide.SlideId, exists));
            }
        });

        foreach (var group in groups)
        {
            string siteFolder = Path.Combine(folder, group.Key);
            AtomicFile.WriteAllText(Path.Combine(siteFolder, LabelsFileName), LabelsCsv(group));
            AtomicFile.WriteAllText(Path.Combine(siteFolder, FociFileName), FociCsv(group));
            foreach (SyntheticCohortSlide slide in group)
            {
                WriteFociGeoJson(Path.Combine(siteFolder, FociFolder, slide.SlideId + FociGeoJsonExtension), slide);
            }
        }
        return new SyntheticCohortResult(folder, slides, written, skipped);
    }

    /// <summary>Exactly round(count · fraction) tumour slides at random places, with both classes whenever possible.</summary>
    private static bool[] AssignTumour(int count, double fraction, ulong seed)
    {
        int tumours = (int)Math.Round(count * fraction, MidpointRounding.AwayFromZero);
        if (fraction > 0 && fraction < 1 && count >= 2) tumours = Math.Clamp(tumours, 1, count - 1);
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        var random = new SplitMix64(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var tumour = new bool[count];
        for (int i = 0; i < tumours; i++) tumour[order[i]] = true;
        return tumour;
    }

    /// <summary>Records the options in a new folder; refuses a folder that holds another cohort.</summary>
    private static void ClaimFolder(string folder, SyntheticCohortOptions options)
    {
        string manifestPath = Path.Combine(folder, ManifestFileName);
        string manifest = Manifest(options);
        if (File.Exists(manifestPath))
        {
            string existing = File.ReadAllText(manifestPath);
            if (existing != manifest)
            {
                throw new SyntheticCohortException(
                    $"Cohort folder '{folder}' holds a cohort made with other options ({ManifestFileName}: {existing.ReplaceLineEndings(" ")}); " +
                    "pick an empty folder, or delete this one to regenerate it.");
            }
            return;
        }
        if (Directory.EnumerateFileSystemEntries(folder).Any())
        {
            throw new SyntheticCohortException($"Cohort folder '{folder}' is not empty and has no {ManifestFileName}; pick an empty or new folder.");
        }
        AtomicFile.WriteAllText(manifestPath, manifest);
    }

    private static string Manifest(SyntheticCohortOptions options) => JsonSerializer.Serialize(new
    {
        generator = Generator,
        sites = options.Sites,
        slidesPerSite = options.SlidesPerSite,
        heldOutSlides = options.HeldOutSlides,
        tumourFraction = options.TumourFraction,
        slideSizePx = options.SlideSizePx,
        seed = options.Seed,
        siteStainShift = options.SiteStainShift,
    }, new JsonSerializerOptions { WriteIndented = true }) + "\n";

    private static string LabelsCsv(IEnumerable<SyntheticCohortSlide> slides)
    {
        var text = new StringBuilder(LabelsHeader).Append('\n');
        foreach (SyntheticCohortSlide slide in slides)
        {
            text.Append(slide.SlideId).Append(',').Append(slide.SlideId).Append(',').Append(slide.StainSite).Append(',').Append(slide.Label).Append('\n');
        }
        return text.ToString();
    }

    private static string FociCsv(IEnumerable<SyntheticCohortSlide> slides)
    {
        var text = new StringBuilder(FociHeader).Append('\n');
        foreach (SyntheticCohortSlide slide in slides)
        {
            for (int f = 0; f < slide.Spec.TumourFoci.Count; f++)
            {
                SyntheticEllipse e = slide.Spec.TumourFoci[f];
                text.Append(CultureInfo.InvariantCulture, $"{slide.SlideId},{f},{e.CenterX:R},{e.CenterY:R},{e.RadiusX:R},{e.RadiusY:R}\n");
            }
        }
        return text.ToString();
    }

    /// <summary>The slide's foci as a GeoJSON FeatureCollection of closed polygons in level-0 px (empty for normal slides).</summary>
    private static void WriteFociGeoJson(string path, SyntheticCohortSlide slide) => AtomicFile.Write(path, stream =>
    {
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteString("type", "FeatureCollection");
        json.WriteStartArray("features");
        for (int f = 0; f < slide.Spec.TumourFoci.Count; f++)
        {
            SyntheticEllipse focus = slide.Spec.TumourFoci[f];
            json.WriteStartObject();
            json.WriteString("type", "Feature");
            json.WriteString("id", string.Create(CultureInfo.InvariantCulture, $"{slide.SlideId}-focus-{f}"));
            json.WriteStartObject("geometry");
            json.WriteString("type", "Polygon");
            json.WriteStartArray("coordinates");
            json.WriteStartArray();
            for (int v = 0; v <= FocusPolygonVertices; v++)
            {
                // The last vertex repeats the first: GeoJSON rings are closed.
                double angle = 2 * Math.PI * (v % FocusPolygonVertices) / FocusPolygonVertices;
                json.WriteStartArray();
                json.WriteNumberValue(Math.Round(focus.CenterX + focus.RadiusX * Math.Cos(angle), 2));
                json.WriteNumberValue(Math.Round(focus.CenterY + focus.RadiusY * Math.Sin(angle), 2));
                json.WriteEndArray();
            }
            json.WriteEndArray();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartObject("properties");
            json.WriteString("objectType", "annotation");
            json.WriteString("slide_id", slide.SlideId);
            json.WriteNumber("focus", f);
            json.WriteStartObject("classification");
            json.WriteString("name", "Tumor");
            json.WriteEndObject();
            json.WriteNumber("area_level0_px", Math.Round(focus.Area));
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    });
}
