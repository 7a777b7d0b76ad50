using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Security;

namespace PathoFed.Federation.Transport;

/// <summary>
/// The coordinator's gRPC face: maps each call onto the <see cref="ICoordinatorEngine"/>. The caller's site name comes
/// from its verified client certificate (Kestrel already refused anyone the policy rejects), never from a field.
/// </summary>
internal sealed class CoordinatorGrpcService(ICoordinatorEngine engine, PeerCertificatePolicy sitePolicy) : Coordinator.CoordinatorBase
{
    /// <summary>Longest a NextTask call is held open before the site asks again.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    public override Task<JoinReply> Join(JoinRequest request, ServerCallContext context) => Guard(() =>
    {
        string site = Site(context);
        JoinResult joined = engine.Join(site, new SiteHello(request.PathofedVersion, request.ExtractorId, request.ExtractorSha256, request.EmbeddingDim));
        return Task.FromResult(new JoinReply { Federation = joined.Federation, PlanJson = joined.PlanJson, Site = site });
    });

    public override Task<TaskReply> NextTask(TaskRequest request, ServerCallContext context) => Guard(async () =>
    {
        TimeSpan wait = TimeSpan.FromMilliseconds(Math.Clamp(request.WaitMs, 0, (int)MaxWait.TotalMilliseconds));
        SiteTask task = await engine.NextTaskAsync(Site(context), wait, context.CancellationToken);
        return ProtoMapping.ToReply(task);
    });

    public override Task<SubmitReply> SubmitUpdate(UpdateRequest request, ServerCallContext context) => Guard(() =>
    {
        var update = new SubmittedUpdate(request.Round, request.Nonce.ToStringUtf8(), request.Weights.ToByteArray(), request.ExampleCount,
            new Dictionary<string, double>(request.Metrics));
        return Task.FromResult(ProtoMapping.ToReply(engine.SubmitUpdate(Site(context), update)));
    });

    public override Task<SubmitReply> SubmitSecureAggregation(SecureAggregationMessage request, ServerCallContext context) => Guard(() =>
    {
        var message = new SecureAggregationEnvelope(request.Round, request.Stage, request.Nonce.ToStringUtf8(), request.Payload.ToByteArray());
        return Task.FromResult(ProtoMapping.ToReply(engine.SubmitSecureAggregation(Site(context), message)));
    });

    private string Site(ServerCallContext context)
    {
        PeerCertificateResult peer = sitePolicy.Evaluate(context.GetHttpContext().Connection.ClientCertificate);
        return peer.IsAccepted && peer.PeerName is { } name
            ? name
            : throw new RpcException(new Status(StatusCode.Unauthenticated, peer.Reason ?? "no valid client certificate"));
    }

    /// <summary>Our refusals become gRPC statuses the site can act on; the message names the cause.</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (CertificateException e)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, e.Message));
        }
        catch (FederationException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }
    }
}

/// <summary>Engine records to and from protobuf messages, in one place for both directions.</summary>
internal static class ProtoMapping
{
    public static TaskReply ToReply(SiteTask task) => task switch
    {
        SiteTask.Wait wait => new TaskReply { Wait = new WaitTask { Reason = wait.Reason } },
        SiteTask.Train train => new TaskReply
        {
            Train = new TrainTask
            {
                Round = train.Round,
                Nonce = ByteString.CopyFromUtf8(train.Nonce),
                GlobalWeights = ByteString.CopyFrom(train.GlobalWeights),
                GlobalSha256 = train.GlobalSha256,
                ConfigJson = train.ConfigJson,
                DeadlineUnixMs = train.Deadline.ToUnixTimeMilliseconds(),
            },
        },
        SiteTask.SecureAggregationStep step => new TaskReply { SecureAggregation = ToMessage(step.Round, step.Stage, step.Nonce, step.Payload) },
        SiteTask.Finished finished => new TaskReply { Finished = new FinishedTask { Rounds = finished.Rounds, ModelSha256 = finished.ModelSha256 } },
        _ => throw new ArgumentOutOfRangeException(nameof(task), task.GetType().Name, "unknown site task"),
    };

    public static SiteTask FromReply(TaskReply reply) => reply.TaskCase switch
    {
        TaskReply.TaskOneofCase.Wait => new SiteTask.Wait(reply.Wait.Reason),
        TaskReply.TaskOneofCase.Train => new SiteTask.Train(reply.Train.Round, reply.Train.Nonce.ToStringUtf8(), reply.Train.GlobalWeights.ToByteArray(),
            reply.Train.GlobalSha256, reply.Train.ConfigJson, DateTimeOffset.FromUnixTimeMilliseconds(reply.Train.DeadlineUnixMs)),
        TaskReply.TaskOneofCase.SecureAggregation => new SiteTask.SecureAggregationStep(reply.SecureAggregation.Round, reply.SecureAggregation.Stage,
            reply.SecureAggregation.Nonce.ToStringUtf8(), reply.SecureAggregation.Payload.ToByteArray()),
        TaskReply.TaskOneofCase.Finished => new SiteTask.Finished(reply.Finished.Rounds, reply.Finished.ModelSha256),
        _ => new SiteTask.Wait("the coordinator sent an empty task"),
    };

    public static SecureAggregationMessage ToMessage(int round, int stage, string nonce, byte[] payload) =>
        new() { Round = round, Stage = stage, Nonce = ByteString.CopyFromUtf8(nonce), Payload = ByteString.CopyFrom(payload) };

    public static SubmitReply ToReply(SubmitResult result) => new() { Accepted = result.Accepted, Reason = result.Reason ?? "" };

    public static SubmitResult FromReply(SubmitReply reply) => reply.Accepted ? SubmitResult.Ok : SubmitResult.Refused(reply.Reason);
}
