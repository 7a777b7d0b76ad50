using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Security;

namespace PathoFed.Federation.Transport;

/// <summary>
/// A site's connection to the coordinator: gRPC over HTTP/2 with mutual TLS, presenting the site's certificate and
/// trusting only a coordinator certificate issued by the federation's CA for the expected host.
/// </summary>
public sealed class CoordinatorClient : IDisposable
{
    /// <summary>Models travel whole; the default 4 MB limit is too small for a 1024-input head's safetensors.</summary>
    public const int MaxMessageBytes = 256 << 20;

    private readonly GrpcChannel _channel;
    private readonly Coordinator.CoordinatorClient _client;

    public CoordinatorClient(Uri address, X509Certificate2 siteCertificate, PeerCertificatePolicy coordinatorPolicy)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = FederationTls.ClientOptions(siteCertificate, coordinatorPolicy),
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(15),
        };
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
        });
        _client = new Coordinator.CoordinatorClient(_channel);
    }

    /// <summary>Parses HOST:PORT (or a full https URL) into the coordinator's address.</summary>
    /// <exception cref="FederationException">Not a host and port.</exception>
    public static Uri AddressOf(string coordinator)
    {
        string text = coordinator.Contains("://", StringComparison.Ordinal) ? coordinator : "https://" + coordinator;
        return Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) && uri.Scheme == Uri.UriSchemeHttps && !string.IsNullOrEmpty(uri.Host)
            ? uri
            : throw new FederationException($"'{coordinator}' is not a coordinator address: give HOST:PORT, e.g. coordinator.example.org:7443.");
    }

    public async Task<JoinResult> JoinAsync(SiteHello hello, CancellationToken cancellationToken)
    {
        JoinReply reply = await _client.JoinAsync(new JoinRequest
        {
            PathofedVersion = hello.PathofedVersion,
            ExtractorId = hello.ExtractorId,
            ExtractorSha256 = hello.ExtractorSha256,
            EmbeddingDim = hello.EmbeddingDim,
        }, cancellationToken: cancellationToken);
        return new JoinResult(reply.Federation, reply.PlanJson);
    }

    public async Task<SiteTask> NextTaskAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        ProtoMapping.FromReply(await _client.NextTaskAsync(new TaskRequest { WaitMs = (int)wait.TotalMilliseconds }, cancellationToken: cancellationToken));

    public async Task<SubmitResult> SubmitUpdateAsync(SubmittedUpdate update, CancellationToken cancellationToken)
    {
        var request = new UpdateRequest
        {
            Round = update.Round,
            Nonce = ByteString.CopyFromUtf8(update.Nonce),
            Weights = ByteString.CopyFrom(update.Weights),
            ExampleCount = update.ExampleCount,
        };
        foreach ((string name, double value) in update.Metrics) request.Metrics[name] = value;
        return ProtoMapping.FromReply(await _client.SubmitUpdateAsync(request, cancellationToken: cancellationToken));
    }

    public async Task<SubmitResult> SubmitSecureAggregationAsync(SecureAggregationEnvelope message, CancellationToken cancellationToken) =>
        ProtoMapping.FromReply(await _client.SubmitSecureAggregationAsync(
            ProtoMapping.ToMessage(message.Round, message.Stage, message.Nonce, message.Payload), cancellationToken: cancellationToken));

    /// <summary>
    /// Whether a failed call is worth retrying after a pause (coordinator restarting, network blip). A TLS
    /// authentication failure is not: the coordinator's certificate was refused, and retrying would not change that.
    /// </summary>
    public static bool IsTransient(RpcException e)
    {
        for (Exception? inner = e.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException) return false;
        }
        return e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown;
    }

    public void Dispose() => _channel.Dispose();
}
