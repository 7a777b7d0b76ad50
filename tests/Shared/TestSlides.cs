namespace PathoFed.Tests;

/// <summary>The real public test slides in ../shared/data/slides (beside the repository, on every machine and in CI).</summary>
public static class TestSlides
{
    public static string Folder { get; } = FindFolder();

    /// <summary>Real H&amp;E, 2220 x 2967 crop of Aperio CMU-1, one level, thumbnail/label/macro, 0.499 µm/px, 20x.</summary>
    public static string SmallHE => Path.Combine(Folder, "small_HE.svs");

    /// <summary>Tiny Aperio, 16 x 16.</summary>
    public static string SmallSvs => Path.Combine(Folder, "small.svs");

    /// <summary>Generic tiled TIFF, 300 x 250, 4 levels, lossless; level 0 equals <see cref="BoxesPng"/>.</summary>
    public static string BoxesTiff => Path.Combine(Folder, "boxes.tiff");

    public static string BoxesPng => Path.Combine(Folder, "boxes.png");

    public static string SmallHELevelsTiff => Path.Combine(Folder, "small_HE_levels.tiff");

    /// <summary>Strip (not tiled) 640 x 480 greyscale LZW TIFF: OpenSlide refuses it, the plain-image path reads it.</summary>
    public static string SmallTif => Path.Combine(Folder, "smalltif.tif");

    public static class Bad
    {
        /// <summary>TIFF with an unknown compression: must fail to open.</summary>
        public static string UnopenableTiff => Path.Combine(Folder, "unopenable.tiff");

        /// <summary>Aperio file with corrupt tile data: opens, region reads fail.</summary>
        public static string UnreadableSvs => Path.Combine(Folder, "unreadable.svs");

        /// <summary>DICOM WSI instance: OpenSlide 3.4.1 cannot read DICOM.</summary>
        public static string Dicom => Path.Combine(Folder, "boxes_0.dcm");
    }

    private static string FindFolder()
    {
        if (Environment.GetEnvironmentVariable("PATHOFED_TEST_SLIDES") is { Length: > 0 } configured) return configured;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PathoFed.sln")))
            {
                string slides = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "slides"));
                if (Directory.Exists(slides)) return slides;
                throw new DirectoryNotFoundException($"Test slides not found at {slides}; set PATHOFED_TEST_SLIDES.");
            }
        }
        throw new DirectoryNotFoundException("PathoFed.sln not found above the test binaries; set PATHOFED_TEST_SLIDES.");
    }
}
