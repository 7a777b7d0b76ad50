using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PathoFed.Slides;

namespace PathoFed.Heatmaps.Viewer;

/// <summary>
/// The <c>pathofed view</c> web app running on Kestrel: a slide list ranked by score, a deep-zoom viewer per slide
/// with the patch-score heatmap as a second layer, and the JSON and tile endpoints behind them. The page and
/// OpenSeadragon are embedded in this assembly; nothing is fetched from the internet.
/// </summary>
public sealed class SlideViewerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ViewerService _service;

    private SlideViewerHost(WebApplication app, ViewerService service, int port, Uri url)
    {
        _app = app;
        _service = service;
        Port = port;
        Url = url;
    }

    /// <summary>The port Kestrel bound (the one picked by the system when the options asked for 0).</summary>
    public int Port { get; }

    /// <summary>The slide list page, e.g. <c>http://127.0.0.1:8080/</c>.</summary>
    public Uri Url { get; }

    /// <summary>How many slides the folder holds.</summary>
    public int SlideCount => _service.Catalog.Slides.Count;

    /// <summary>Lists the slides, reads <c>scores.csv</c>, binds the port and starts serving.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="HeatmapException">A folder is missing, the slides cannot be listed, or scores.csv is malformed.</exception>
    /// <exception cref="IOException">The port cannot be bound (in use, or not allowed).</exception>
    public static async Task<SlideViewerHost> StartAsync(ViewerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IPAddress address = options.BindAddress();
        var service = new ViewerService(options, SlideCatalog.Load(options.SlidesFolder, options.ResultsFolder));
        WebApplication? app = null;
        try
        {
            app = Build(options, address, service);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            int port = BoundPort(app);
            string host = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? "localhost"
                : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]"
                : address.ToString();
            return new SlideViewerHost(app, service, port, new Uri($"http://{host}:{port}/"));
        }
        catch
        {
            if (app is not null) await app.DisposeAsync().ConfigureAwait(false);
            service.Dispose();
            throw;
        }
    }

    /// <summary>Completes when the host stops (Ctrl+C is the caller's to wire to <paramref name="cancellationToken"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _service.Dispose();
    }

    private static WebApplication Build(ViewerOptions options, IPAddress address, ViewerService service)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SlideViewerHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        // Quiet by default: the CLI prints the URL; errors reach the browser as status codes with messages.
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, options.Port));

        WebApplication app = builder.Build();
        var assets = new ManifestEmbeddedFileProvider(typeof(SlideViewerHost).Assembly, "Viewer/wwwroot");
        app.Use(RefuseTraversal);
        app.Use(MapErrorsToStatusCodes);
        app.UseStaticFiles(new StaticFileOptions { FileProvider = assets });
        ViewerEndpoints.Map(app, service, assets);
        return app;
    }

    private static async Task RefuseTraversal(HttpContext context, RequestDelegate next)
    {
        string raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.ToString();
        if (RequestGuard.IsSuspicious(raw))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("Refused: the path holds dot segments, backslashes or encoded separators.").ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    /// <summary>Known failures become status codes with the exception's message (it names the file and the cause).</summary>
    private static async Task MapErrorsToStatusCodes(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted && StatusFor(e) is { } status)
        {
            context.Response.Clear();
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(e.Message).ConfigureAwait(false);
        }
    }

    private static int? StatusFor(Exception e) => e switch
    {
        HeatmapException => StatusCodes.Status422UnprocessableEntity,
        SlideOpenException or SlideReadException or MissingMppException => StatusCodes.Status500InternalServerError,
        _ => null,
    };

    private static int BoundPort(WebApplication app)
    {
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal)).Port;
    }
}
