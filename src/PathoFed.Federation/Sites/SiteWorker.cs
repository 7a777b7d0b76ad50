using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Nodes;
using PathoFed.Federation.Audit;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Plans;
using PathoFed.Federation.Privacy;
using PathoFed.Federation.SecureAggregation;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Sites;

/// <summary>How a site worker polls and where its DP noise comes from.</summary>
public sealed record SiteWorkerOptions
{
    /// <summary>How long one <see cref="ISiteChannel.NextTaskAsync"/> may wait at the coordinator (long poll).</summary>
    public TimeSpan PollWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The DP noise source for a round; null draws cryptographic noise (production). Tests pass seeded noise for
    /// reproducible runs; seeded noise is predictable and gives no privacy.
    /// </summary>
    public Func<int, GaussianNoise>? NoiseForRound { get; init; }
}

/// <summary>What a site's run ended with.</summary>
/// <param name="Site">The site.</param>
/// <param name="Rounds">The rounds the federation ran.</param>
/// <param name="ModelSha256">The final model's hash as the coordinator announced it.</param>
/// <param name="UpdatesSent">Updates (plain or masked) the coordinator accepted.</param>
/// <param name="Refusals">Submissions the coordinator refused, with its reasons.</param>
public sealed record SiteRunResult(string Site, int Rounds, string ModelSha256, int UpdatesSent, IReadOnlyList<string> Refusals);

/// <summary>
/// A site's side of federated training, free of any transport: joins with a hello describing its features (never the
/// data), then does what the coordinator says (train a round, take a secure-aggregation step, wait, stop) until training
/// is finished. Only parameters (or masked vectors), counts and hold-out metrics leave it. Each operation is written
/// to the site's own audit log (actor = the site's name).
/// </summary>
/// <remarks>
/// The gRPC agent is then one line: <c>await new SiteWorker(site, dataset, audit).RunAsync(grpcChannel, ct)</c> with a
/// channel mapping the four calls onto the service.
/// </remarks>
public sealed class SiteWorker : IDisposable
{
    private readonly MilDataset _dataset;
    private readonly AuditLog? _audit;
    private readonly SiteWorkerOptions _options;
    private readonly List<string> _refusals = [];
    private SiteTrainer? _trainer;
    private FederationPlan? _plan;
    private MaskingSession? _masking;
    private int _updatesSent;

    /// <param name="site">The site's name (as in its certificate).</param>
    /// <param name="dataset">The site's own slides and labels; they never leave the worker.</param>
    /// <param name="auditLog">The site's audit log (actor = <paramref name="site"/>); null for none. The caller owns it.</param>
    /// <param name="options">Polling and noise; null for the defaults.</param>
    public SiteWorker(string site, MilDataset dataset, AuditLog? auditLog = null, SiteWorkerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(site);
        ArgumentNullException.ThrowIfNull(dataset);
        Site = site;
        _dataset = dataset;
        _audit = auditLog;
        _options = options ?? new SiteWorkerOptions();
    }

    /// <summary>The site's name.</summary>
    public string Site { get; }

    /// <summary>The local trainer, once the site has joined and received the plan.</summary>
    public SiteTrainer? Trainer => _trainer;

    /// <summary>Joins the federation and works through its tasks until the coordinator says training is finished.</summary>
    /// <exception cref="FederationException">The coordinator refused the site, or its data do not fit the plan.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async Task<SiteRunResult> RunAsync(ISiteChannel channel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        await JoinAsync(channel, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var task = await channel.NextTaskAsync(_options.PollWait, cancellationToken).ConfigureAwait(false);
            switch (task)
            {
                case SiteTask.Train train:
                    await TrainAsync(channel, train, cancellationToken).ConfigureAwait(false);
                    break;
                case SiteTask.SecureAggregationStep step:
                    await StepAsync(channel, step, cancellationToken).ConfigureAwait(false);
                    break;
                case SiteTask.Finished finished:
                    Append("finished", new JsonObject { ["rounds"] = finished.Rounds, ["model_sha256"] = finished.ModelSha256 });
                    EndMasking();
                    return new SiteRunResult(Site, finished.Rounds, finished.ModelSha256, _updatesSent, [.. _refusals]);
                default:
                    // Wait: the coordinator already held the call up to PollWait; ask again.
                    break;
            }
        }
    }

    /// <summary>Wipes a secure-aggregation session still in progress.</summary>
    public void Dispose() => EndMasking();

    private async Task JoinAsync(ISiteChannel channel, CancellationToken cancellationToken)
    {
        var hello = new SiteHello(PathoFedVersion.Current, _dataset.ExtractorId, _dataset.ExtractorSha256, _dataset.EmbeddingDim);
        var joined = await channel.JoinAsync(hello, cancellationToken).ConfigureAwait(false);
        FederationPlan plan;
        try
        {
            plan = JsonSerializer.Deserialize<FederationPlan>(joined.PlanJson, FederationPlan.Json) ?? throw new JsonException("empty plan");
        }
        catch (JsonException e)
        {
            throw new FederationException($"Site '{Site}': the plan of federation '{joined.Federation}' cannot be read: {e.Message}", e);
        }

        _plan = plan.Validate($"plan of federation '{joined.Federation}'");
        _trainer = new SiteTrainer(Site, _dataset, _plan);
        Append("joined", new JsonObject
        {
            ["federation"] = joined.Federation,
            ["training_examples"] = _trainer.TrainingExamples,
            ["validation_examples"] = _trainer.ValidationExamples,
            ["extractor_sha256"] = _dataset.ExtractorSha256,
        });
    }

    private async Task TrainAsync(ISiteChannel channel, SiteTask.Train train, CancellationToken cancellationToken)
    {
        var sha = ModelBytes.Sha256(train.GlobalWeights);
        if (sha != train.GlobalSha256)
        {
            // Corrupted in transit, or not the model the coordinator recorded: training on it would be meaningless.
            Append("model_refused", new JsonObject { ["round"] = train.Round, ["sha256"] = sha, ["announced_sha256"] = train.GlobalSha256 });
            _refusals.Add($"round {train.Round}: the global model's hash {sha} is not the announced {train.GlobalSha256}.");
            return;
        }

        Append("model_received", new JsonObject { ["round"] = train.Round, ["sha256"] = sha, ["bytes"] = train.GlobalWeights.Length });
        var global = ModelBytes.Deserialize(train.GlobalWeights, $"Global model of round {train.Round}");
        var instructions = RoundInstructions.Parse(train.ConfigJson);
        var result = _trainer!.RunRound(train.Round, global, (float)instructions.ProximalMu, cancellationToken);
        var privatized = instructions.DifferentialPrivacy is { } dp
            ? new GaussianMechanism { ClipNorm = dp.ClipNorm, NoiseMultiplier = dp.NoiseMultiplier }
                .Privatize(Site, train.Round, global, result.Parameters, _options.NoiseForRound?.Invoke(train.Round) ?? GaussianNoise.Cryptographic())
            : null;

        if (instructions.SecureAggregation is { } session)
        {
            // Secure aggregation sums update × weight, so the coordinator learns the weighted mean update and no single one.
            var delta = privatized?.Delta ?? Subtract(result.Parameters, global);
            EndMasking();
            var client = new SecureAggregationClient(Site, new SecureAggregationSettings(session.SessionId, train.Round, session.Threshold));
            _masking = new MaskingSession(client, train.Round, train.Nonce, delta, result.ExampleCount, result.Metrics);
            await SendStepAsync(channel, SecureAggregationStages.AdvertiseKeys, SecureAggregationPayloads.Serialize(client.AdvertiseKeys()), cancellationToken).ConfigureAwait(false);
            return;
        }

        var parameters = privatized?.ApplyTo(global) ?? result.Parameters;
        var weights = ModelBytes.Serialize(parameters);
        var update = new SubmittedUpdate(train.Round, train.Nonce, weights, result.ExampleCount, result.Metrics);
        var reply = await channel.SubmitUpdateAsync(update, cancellationToken).ConfigureAwait(false);
        Record(reply, "update_sent", new JsonObject
        {
            ["round"] = train.Round,
            ["sha256"] = ModelBytes.Sha256(weights),
            ["bytes"] = weights.Length,
            ["examples"] = result.ExampleCount,
        });
    }

    private async Task StepAsync(ISiteChannel channel, SiteTask.SecureAggregationStep step, CancellationToken cancellationToken)
    {
        var session = _masking;
        if (session is null || session.Round != step.Round || session.Nonce != step.Nonce)
        {
            // A step of a session this worker no longer holds (it restarted, or the round was re-opened): it cannot take part.
            Append("secure_aggregation_skipped", new JsonObject { ["round"] = step.Round, ["stage"] = step.Stage, ["reason"] = "no matching session" });
            return;
        }

        var source = $"Site '{Site}', secure aggregation round {step.Round}, stage {step.Stage}";
        try
        {
            switch (step.Stage)
            {
                case SecureAggregationStages.ShareKeys:
                    var directory = SecureAggregationPayloads.Deserialize<KeyDirectory>(step.Payload, source);
                    await SendStepAsync(channel, step.Stage, SecureAggregationPayloads.Serialize(session.Client.ShareKeys(directory)), cancellationToken).ConfigureAwait(false);
                    break;
                case SecureAggregationStages.MaskedInput:
                    var delivery = SecureAggregationPayloads.Deserialize<ShareDelivery>(step.Payload, source);
                    var masked = session.Client.MaskInput(delivery, session.Delta, session.Weight);
                    await SendStepAsync(channel, step.Stage, SecureAggregationPayloads.SerializeMasked(new MaskedSubmission(masked, session.Metrics)), cancellationToken).ConfigureAwait(false);
                    break;
                case SecureAggregationStages.Unmasking:
                    var request = SecureAggregationPayloads.Deserialize<UnmaskRequest>(step.Payload, source);
                    await SendStepAsync(channel, step.Stage, SecureAggregationPayloads.Serialize(session.Client.Unmask(request)), cancellationToken).ConfigureAwait(false);
                    EndMasking();
                    break;
                default:
                    throw new SecureAggregationException($"{source}: unknown stage.");
            }
        }
        catch (SecureAggregationException e)
        {
            // The protocol refuses to go on (e.g. a suspicious unmask request): drop out of this session, keep serving the federation.
            Append("secure_aggregation_aborted", new JsonObject { ["round"] = step.Round, ["stage"] = step.Stage, ["reason"] = e.Message });
            _refusals.Add(e.Message);
            EndMasking();
        }
    }

    private async Task SendStepAsync(ISiteChannel channel, int stage, byte[] payload, CancellationToken cancellationToken)
    {
        var session = _masking!;
        var reply = await channel.SubmitSecureAggregationAsync(new SecureAggregationEnvelope(session.Round, stage, session.Nonce, payload), cancellationToken).ConfigureAwait(false);
        Record(reply, "secure_aggregation_sent", new JsonObject
        {
            ["round"] = session.Round,
            ["stage"] = stage,
            ["sha256"] = ModelBytes.Sha256(payload),
            ["bytes"] = payload.Length,
        });
        if (stage == SecureAggregationStages.MaskedInput && reply.Accepted) _updatesSent++;
    }

    private void Record(SubmitResult reply, string eventName, JsonObject data)
    {
        if (reply.Accepted)
        {
            if (eventName == "update_sent") _updatesSent++;
            Append(eventName, data);
            return;
        }

        data["reason"] = reply.Reason;
        Append(eventName == "update_sent" ? "update_refused" : "secure_aggregation_refused", data);
        _refusals.Add(reply.Reason ?? "refused without a reason");
    }

    private void Append(string eventName, JsonObject data) => _audit?.Append(eventName, data);

    private void EndMasking()
    {
        _masking?.Client.Dispose();
        _masking = null;
    }

    private static NamedTensor[] Subtract(IReadOnlyList<NamedTensor> local, IReadOnlyList<NamedTensor> global)
    {
        var delta = new NamedTensor[global.Count];
        for (var t = 0; t < global.Count; t++)
        {
            var values = new float[global[t].Values.Length];
            TensorPrimitives.Subtract(local[t].Values, global[t].Values, values);
            delta[t] = global[t] with { Values = values };
        }

        return delta;
    }

    /// <summary>A site's part in one secure-aggregation session: its client and the contribution it masks.</summary>
    private sealed record MaskingSession(
        SecureAggregationClient Client, int Round, string Nonce, IReadOnlyList<NamedTensor> Delta, long Weight, IReadOnlyDictionary<string, double> Metrics);
}
