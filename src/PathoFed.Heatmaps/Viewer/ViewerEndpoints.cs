using PathoFed.Mil.Experiments;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;
using OpenCvSharp;
using PathoFed.Slides;

namespace PathoFed.Heatmaps.Viewer;

/// <summary>
/// The viewer's HTTP surface. Every slide route takes an id only as a key into the catalog (unknown: 404); tile
/// coordinates outside the pyramid are 404; bad query values are 400.
/// </summary>
internal static class ViewerEndpoints
{
    private const string TileCacheControl = "private, max-age=3600";
    private const string SlideDziSuffix = ".dzi";
    private const string TilesFolderSuffix = "_files";

    public static void Map(WebApplication app, ViewerService service, IFileProvider pages)
    {
        app.MapGet("/", (HttpContext context) => Page(context, pages, "index.html"));
        app.MapGet("/view/{slideId}", (HttpContext context, string slideId) =>
            service.Catalog.Find(slideId) is null ? UnknownSlide(slideId) : Page(context, pages, "view.html"));

        app.MapGet("/api/slides", () => Results.Json(new
        {
            rankColumn = service.Catalog.RankColumn,
            slides = service.Catalog.Slides.Select(s => new { id = s.SlideId, score = s.Score, hasPatchScores = service.Catalog.PatchScoresPath(s) is not null }),
        }));
        app.MapGet("/api/slides/{slideId}", async (string slideId) =>
            service.Catalog.Find(slideId) is { } slide ? Results.Json(await SlideDetailsAsync(service, slide)) : UnknownSlide(slideId));
        app.MapGet("/api/patches/{slideId}", async (string slideId, string? x, string? y) =>
        {
            if (service.Catalog.Find(slideId) is not { } slide) return UnknownSlide(slideId);
            if (!TryCoordinate(x, out double level0X) || !TryCoordinate(y, out double level0Y))
            {
                return BadRequest("x and y must be level-0 pixel coordinates, e.g. /api/patches/ID?x=1200&y=800");
            }
            if (await service.HeatmapAsync(slide) is not { } heatmap) return NoPatchScores(slide);
            return Results.Json(new { slideId, x = level0X, y = level0Y, scoreKind = heatmap.ScoreKind, model = heatmap.Model, patch = heatmap.PatchAt(level0X, level0Y) });
        });
        app.MapGet("/api/colorbar", (HttpContext context, string? cmap) =>
            TryColormap(cmap, out HeatmapColormap map) ? Cached(context, ColourBarPng(map), "image/png") : BadColormap(cmap));

        app.MapGet("/dzi/{descriptor}", (string descriptor) =>
            FindByDescriptor(service, descriptor) is { } slide
                ? Results.Text(service.Layout(slide).DescriptorXml("jpeg"), "application/xml")
                : UnknownSlide(descriptor));
        app.MapGet("/dzi/{tilesFolder}/{level:int}/{tile}", (HttpContext context, string tilesFolder, int level, string tile) =>
        {
            if (FindByTilesFolder(service, tilesFolder) is not { } slide) return UnknownSlide(tilesFolder);
            if (!TryTileName(tile, "jpeg", out long column, out long row)) return NotFound($"'{tile}' is not a tile name (COLUMN_ROW.jpeg).");
            return service.SlideTileJpeg(slide, level, column, row) is { } jpeg ? Cached(context, jpeg, "image/jpeg") : NoSuchTile(level, column, row);
        });

        app.MapGet("/heatmap/{descriptor}", async (string descriptor, string? cmap) =>
        {
            if (FindByDescriptor(service, descriptor) is not { } slide) return UnknownSlide(descriptor);
            if (!TryColormap(cmap, out _)) return BadColormap(cmap);
            return await service.HeatmapAsync(slide) is null ? NoPatchScores(slide) : Results.Text(service.Layout(slide).DescriptorXml("png"), "application/xml");
        });
        app.MapGet("/heatmap/{tilesFolder}/{level:int}/{tile}", async (HttpContext context, string tilesFolder, int level, string tile, string? cmap) =>
        {
            if (FindByTilesFolder(service, tilesFolder) is not { } slide) return UnknownSlide(tilesFolder);
            if (!TryColormap(cmap, out HeatmapColormap map)) return BadColormap(cmap);
            if (!TryTileName(tile, "png", out long column, out long row)) return NotFound($"'{tile}' is not a tile name (COLUMN_ROW.png).");
            if (await service.HeatmapAsync(slide) is not { } heatmap) return NoPatchScores(slide);
            return service.Layout(slide).Tile(level, column, row) is { } found
                ? Cached(context, heatmap.RenderTilePng(found, map), "image/png")
                : NoSuchTile(level, column, row);
        });
    }

    private static async Task<object> SlideDetailsAsync(ViewerService service, ViewerSlide slide)
    {
        SlideMetadata metadata = service.Metadata(slide);
        SlideHeatmap? heatmap = await service.HeatmapAsync(slide);
        return new
        {
            id = slide.SlideId,
            width = metadata.Level0Width,
            height = metadata.Level0Height,
            mpp = metadata.Mpp,
            levels = metadata.LevelCount,
            score = slide.Score,
            rankColumn = service.Catalog.RankColumn,
            heatmap = heatmap is null ? null : new
            {
                model = heatmap.Model,
                scoreKind = heatmap.ScoreKind,
                patchCount = heatmap.PatchCount,
                normalization = service.Normalization.ToString().ToLowerInvariant(),
                lowScore = heatmap.Normalized.LowScore,
                highScore = heatmap.Normalized.HighScore,
            },
        };
    }

    /// <summary>A vertical ramp, 16 x 256 px, high values at the top as in the exported overlay's colour bar.</summary>
    private static byte[] ColourBarPng(HeatmapColormap colormap)
    {
        var palette = new HeatmapPalette(colormap);
        using var bar = new Mat(HeatmapPalette.Entries, 16, MatType.CV_8UC3);
        for (int y = 0; y < HeatmapPalette.Entries; y++)
        {
            using Mat row = bar.RowRange(y, y + 1);
            row.SetTo(palette.Colour(HeatmapPalette.Entries - 1 - y));
        }
        return TileEncoding.Encode(".png", bar);
    }

    private static ViewerSlide? FindByDescriptor(ViewerService service, string descriptor) =>
        descriptor.EndsWith(SlideDziSuffix, StringComparison.Ordinal) ? service.Catalog.Find(descriptor[..^SlideDziSuffix.Length]) : null;

    private static ViewerSlide? FindByTilesFolder(ViewerService service, string folder) =>
        folder.EndsWith(TilesFolderSuffix, StringComparison.Ordinal) ? service.Catalog.Find(folder[..^TilesFolderSuffix.Length]) : null;

    /// <summary>Parses <c>COLUMN_ROW.EXT</c>, the tile names OpenSeadragon asks for.</summary>
    internal static bool TryTileName(string name, string extension, out long column, out long row)
    {
        column = row = -1;
        string suffix = "." + extension;
        if (!name.EndsWith(suffix, StringComparison.Ordinal)) return false;
        string[] parts = name[..^suffix.Length].Split('_');
        return parts.Length == 2
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out column)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out row);
    }

    private static bool TryColormap(string? name, out HeatmapColormap colormap)
    {
        colormap = HeatmapColormap.Jet;
        return name is null || (Enum.TryParse(name, ignoreCase: true, out colormap) && Enum.IsDefined(colormap) && !char.IsDigit(name[0]));
    }

    private static bool TryCoordinate(string? text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    private static IResult Page(HttpContext context, IFileProvider pages, string name)
    {
        IFileInfo file = pages.GetFileInfo(name);
        if (!file.Exists) return Results.Problem($"The viewer page '{name}' is missing from the build.", statusCode: StatusCodes.Status500InternalServerError);
        context.Response.Headers.CacheControl = "no-cache";
        return Results.Stream(file.CreateReadStream(), "text/html; charset=utf-8");
    }

    private static IResult Cached(HttpContext context, byte[] content, string contentType)
    {
        context.Response.Headers.CacheControl = TileCacheControl;
        return Results.Bytes(content, contentType);
    }

    private static IResult NotFound(string message) => Results.Text(message, "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound);

    private static IResult BadRequest(string message) => Results.Text(message, "text/plain; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);

    private static IResult UnknownSlide(string requested) =>
        NotFound($"No slide '{requested}' in the viewer's slides folder.");

    private static IResult NoPatchScores(ViewerSlide slide) =>
        NotFound($"No patch scores for slide '{slide.SlideId}' ({MilScoring.PatchScoresFolderName}/{slide.SlideId}.parquet in the results folder); write them with 'pathofed score --patch-scores'.");

    private static IResult NoSuchTile(int level, long column, long row) =>
        NotFound($"No tile {column}_{row} at level {level}.");

    private static IResult BadColormap(string? name) =>
        BadRequest($"Unknown colour map '{name}'; use one of: {string.Join(", ", Enum.GetNames<HeatmapColormap>().Select(n => n.ToLowerInvariant()))}.");
}
