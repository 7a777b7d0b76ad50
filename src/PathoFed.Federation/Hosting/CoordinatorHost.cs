using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Security;
using PathoFed.Federation.Transport;

namespace PathoFed.Federation.Hosting;

/// <summary>Where and how the coordinator listens.</summary>
/// <param name="Port">TCP port; 0 picks a free one (tests), see <see cref="CoordinatorHost.Port"/>.</param>
/// <param name="ListenAddress">Interface to bind; loopback unless the federation spans machines.</param>
public sealed record CoordinatorEndpoint(int Port, IPAddress ListenAddress, X509Certificate2 ServerCertificate, PeerCertificatePolicy SitePolicy);

/// <summary>
/// The coordinator's server: Kestrel, HTTP/2 over TLS only, a client certificate required and judged by the federation's
/// policy (issued by its CA, on the allow-list, site role), then the gRPC service over the engine.
/// </summary>
public sealed class CoordinatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CoordinatorHost(WebApplication app) => _app = app;

    /// <summary>The bound port (useful when <see cref="CoordinatorEndpoint.Port"/> was 0).</summary>
    public int Port { get; private set; }

    public static async Task<CoordinatorHost> StartAsync(ICoordinatorEngine engine, CoordinatorEndpoint endpoint, ILoggerProvider? logs = null, CancellationToken cancellationToken = default)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logs is not null) builder.Logging.AddProvider(logs);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(endpoint.ListenAddress, endpoint.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = endpoint.ServerCertificate,
                    ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                    ClientCertificateValidation = endpoint.SitePolicy.ValidateCertificate,
                    SslProtocols = FederationTls.Protocols,
                    CheckCertificateRevocation = false, // no CRL yet: withdraw a site by removing it from the allow-list
                });
            });
        });
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = CoordinatorClient.MaxMessageBytes;
            grpc.MaxSendMessageSize = CoordinatorClient.MaxMessageBytes;
        });
        builder.Services.AddSingleton(engine);
        builder.Services.AddSingleton(endpoint.SitePolicy);
        WebApplication app = builder.Build();
        app.MapGrpcService<CoordinatorGrpcService>();
        await app.StartAsync(cancellationToken);

        var host = new CoordinatorHost(app);
        string bound = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        host.Port = new Uri(bound.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port;
        return host;
    }

    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
