using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Sites;

namespace PathoFed.Federation.Transport;

/// <summary>
/// A site's <see cref="ISiteChannel"/> over gRPC. Survives a coordinator that restarts or a network that blips: transient
/// failures are retried with exponential backoff (1 s doubling to 30 s, for up to <see cref="GiveUpAfter"/>), and a
/// coordinator that has forgotten the site (it restarted) is re-joined with the same hello. Refusals are not retried.
/// </summary>
public sealed partial class GrpcSiteChannel(CoordinatorClient client, ILogger? logger = null, TimeProvider? time = null) : ISiteChannel
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private SiteHello? _hello;

    /// <summary>How long the coordinator may stay unreachable before the site stops.</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromMinutes(30);

    public async Task<JoinResult> JoinAsync(SiteHello hello, CancellationToken cancellationToken)
    {
        _hello = hello;
        return await RetryAsync(ct => client.JoinAsync(hello, ct), "join", cancellationToken);
    }

    public Task<SiteTask> NextTaskAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        RetryAsync(ct => client.NextTaskAsync(wait, ct), "next task", cancellationToken);

    public Task<SubmitResult> SubmitUpdateAsync(SubmittedUpdate update, CancellationToken cancellationToken) =>
        RetryAsync(ct => client.SubmitUpdateAsync(update, ct), "submit update", cancellationToken);

    public Task<SubmitResult> SubmitSecureAggregationAsync(SecureAggregationEnvelope message, CancellationToken cancellationToken) =>
        RetryAsync(ct => client.SubmitSecureAggregationAsync(message, ct), "secure aggregation", cancellationToken);

    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> call, string what, CancellationToken cancellationToken)
    {
        TimeSpan backoff = FirstBackoff;
        long started = _time.GetTimestamp();
        while (true)
        {
            try
            {
                return await call(cancellationToken);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && e.Status.Detail.Contains("has not joined", StringComparison.Ordinal) && _hello is { } hello)
            {
                LogRejoining(_logger, what);
                await client.JoinAsync(hello, cancellationToken);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.PermissionDenied or StatusCode.Unauthenticated)
            {
                throw new FederationException($"The coordinator refused {what}: {e.Status.Detail}", e);
            }
            catch (RpcException e) when (CoordinatorClient.IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                if (_time.GetElapsedTime(started) > GiveUpAfter)
                {
                    throw new FederationException($"The coordinator has been unreachable for {GiveUpAfter.TotalMinutes:0} minutes ({what}): {e.Status.Detail}", e);
                }
                LogRetrying(_logger, what, e.Status.Detail, backoff.TotalSeconds);
                await Task.Delay(backoff, _time, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
            catch (RpcException e)
            {
                throw new FederationException($"The coordinator connection failed ({what}): {e.Status.StatusCode} {e.Status.Detail}", e);
            }
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Coordinator unreachable ({What}: {Detail}); retrying in {Seconds} s")]
    private static partial void LogRetrying(ILogger logger, string what, string detail, double seconds);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "The coordinator restarted and forgot this site; joining again before {What}")]
    private static partial void LogRejoining(ILogger logger, string what);
}
