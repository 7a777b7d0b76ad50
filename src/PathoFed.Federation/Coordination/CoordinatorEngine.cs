using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PathoFed.Federation.Audit;
using PathoFed.Federation.Plans;
using PathoFed.Federation.Privacy;
using PathoFed.Federation.SecureAggregation;
using PathoFed.Federation.Security;
using PathoFed.Federation.Strategies;
using PathoFed.Federation.Updates;
using PathoFed.Mil;
using PathoFed.Mil.Data;
using PathoFed.Mil.Experiments;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Models;

namespace PathoFed.Federation.Coordination;

/// <summary>
/// The coordinator: admits allow-listed sites whose features fit the plan, runs the plan's rounds (sample every joined
/// site, hand out the global model with per-site nonces, validate and aggregate the updates, or drive secure
/// aggregation), evaluates the global model federatedly, checkpoints after every round, and resumes from the last
/// checkpoint in its state folder. Every operation is written to <c>audit.log</c> in the state folder.
/// </summary>
/// <remarks>
/// <para>Thread-safe: all state sits behind one lock, taken briefly by every call; <see cref="NextTaskAsync"/> waits
/// outside it on a signal that every state change fires. Aggregation and checkpointing run under the lock (they are
/// short next to a round), so no call ever sees a half-closed round.</para>
/// <para>Deadlines are checked on every call and the waits of <see cref="NextTaskAsync"/> end at the open deadline, so a
/// round closes on time as long as any site is polling (sites long-poll continuously).</para>
/// </remarks>
public sealed class CoordinatorEngine : ICoordinatorEngine, IDisposable
{
    /// <summary>The audit log's file name in the state folder.</summary>
    public const string AuditFileName = "audit.log";

    /// <summary>The folder of per-round checkpoints (model folders <c>round-NNNN</c>) in the state folder.</summary>
    public const string CheckpointsFolderName = "checkpoints";

    /// <summary>The final model folder in the state folder.</summary>
    public const string FinalModelFolderName = "final-model";

    private readonly FederationPlan _plan;
    private readonly AllowList _allowList;
    private readonly IAggregationStrategy _strategy;
    private readonly TimeProvider _time;
    private readonly AuditLog _audit;
    private readonly ILogger _logger;
    private readonly bool _ownsAudit;
    private readonly string _planJson;
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, SiteHello> _joined = new(StringComparer.Ordinal);
    private readonly List<RoundRecord> _history = [];
    private readonly RdpAccountant? _accountant;
    private TaskCompletionSource _changed = NewSignal();
    private IReadOnlyList<NamedTensor> _global;
    private int _lastFinishedRound;
    private int _attempt;
    private OpenRound? _open;
    private string? _finalSha256;

    /// <summary>
    /// Opens the coordinator on <paramref name="stateFolder"/>: resumes after the last finished round recorded there, or
    /// starts from the head initialised with the plan's seed.
    /// </summary>
    /// <param name="plan">What to train; validated here.</param>
    /// <param name="stateFolder">Checkpoints, <c>state.json</c>, <c>audit.log</c> and <c>final-model/</c>; created when missing.</param>
    /// <param name="allowList">The sites allowed to join.</param>
    /// <param name="strategy">How updates are aggregated (e.g. <see cref="AggregationStrategyFactory.Create"/> with the plan's strategy and options).</param>
    /// <param name="time">The clock for deadlines; null for the system clock.</param>
    /// <param name="auditLog">The coordinator's audit log (actor <c>coordinator</c>); null opens <c>audit.log</c> in the state folder, owned by the engine.</param>
    /// <param name="logger">Operational log (joins, rounds, refusals); null for none.</param>
    /// <exception cref="FederationException">The plan is invalid, secure aggregation is planned with fewer than 2 sites, or the state folder holds a state this plan cannot resume.</exception>
    /// <exception cref="AuditLogException">The audit log fails verification or is held by another writer.</exception>
    public CoordinatorEngine(FederationPlan plan, string stateFolder, AllowList allowList, IAggregationStrategy strategy, TimeProvider? time = null, AuditLog? auditLog = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentException.ThrowIfNullOrWhiteSpace(stateFolder);
        ArgumentNullException.ThrowIfNull(allowList);
        ArgumentNullException.ThrowIfNull(strategy);
        _plan = plan.Validate();
        if (plan.SecureAggregation && plan.MinSites < 2)
        {
            throw new FederationException($"Plan '{plan.Name}': secure aggregation needs at least 2 sites per round (minSites is {plan.MinSites}); one site's sum is its update.");
        }

        StateFolder = Path.GetFullPath(stateFolder);
        Directory.CreateDirectory(StateFolder);
        _allowList = allowList;
        _strategy = strategy;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _planJson = JsonSerializer.Serialize(plan, FederationPlan.Json);
        _accountant = plan.DifferentialPrivacy is null ? null : new RdpAccountant();
        _ownsAudit = auditLog is null;
        _audit = auditLog ?? AuditLog.Open(Path.Combine(StateFolder, AuditFileName), FederationNames.CoordinatorActor, _time);
        try
        {
            _global = MilHeads.Create(plan.HeadConfig(), plan.Seed).GetParameters();
            Resume();
        }
        catch
        {
            if (_ownsAudit) _audit.Dispose();
            throw;
        }
    }

    /// <summary>The coordinator's state folder.</summary>
    public string StateFolder { get; }

    /// <summary>The plan being trained.</summary>
    public FederationPlan Plan => _plan;

    /// <summary>The last round whose model was aggregated and checkpointed (0 before the first).</summary>
    public int LastFinishedRound
    {
        get { lock (_gate) return _lastFinishedRound; }
    }

    /// <summary>Whether all the plan's rounds are done and <c>final-model/</c> is written.</summary>
    public bool IsFinished
    {
        get { lock (_gate) return _finalSha256 is not null; }
    }

    /// <summary>The current global model.</summary>
    public IReadOnlyList<NamedTensor> GlobalModel
    {
        get { lock (_gate) return _global; }
    }

    /// <summary>The finished rounds, oldest first.</summary>
    public IReadOnlyList<RoundRecord> History
    {
        get { lock (_gate) return [.. _history]; }
    }

    /// <summary>(ε, δ) spent so far under differential privacy; null without DP or before the first round.</summary>
    public PrivacySpent? PrivacySpent
    {
        get { lock (_gate) return _history.Count == 0 ? null : _history[^1].Privacy; }
    }

    /// <summary>The round now open (0 while waiting for sites or when finished).</summary>
    public int OpenRoundNumber
    {
        get { lock (_gate) return _open?.Round ?? 0; }
    }

    /// <inheritdoc />
    public JoinResult Join(string site, SiteHello hello)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(hello);
        lock (_gate)
        {
            if (!_allowList.Contains(site))
            {
                Refuse(site, "join_refused", $"Site '{site}' is not on the federation's allow-list ({_allowList.Source}); add it there to let it join.");
            }

            if (hello.ExtractorSha256 != _plan.ExtractorSha256 || hello.EmbeddingDim != _plan.EmbeddingDim)
            {
                Refuse(site, "join_refused",
                    $"Site '{site}' has features from {hello.ExtractorId} (sha256 {hello.ExtractorSha256}, {hello.EmbeddingDim}-d) but the plan trains on " +
                    $"{_plan.ExtractorId} (sha256 {_plan.ExtractorSha256}, {_plan.EmbeddingDim}-d); embed the site's slides with {_plan.ExtractorId}.");
            }

            _joined[site] = hello;
            _audit.Append("join", new JsonObject
            {
                ["site"] = site,
                ["pathofed_version"] = hello.PathofedVersion,
                ["extractor_id"] = hello.ExtractorId,
                ["extractor_sha256"] = hello.ExtractorSha256,
                ["embedding_dim"] = hello.EmbeddingDim,
                ["joined_sites"] = _joined.Count,
            });
            CoordinatorLog.SiteJoined(_logger, site, _joined.Count);
            Advance();
            Signal();
            return new JoinResult(_plan.Name, _planJson);
        }
    }

    /// <inheritdoc />
    /// <exception cref="FederationException">The site has not joined.</exception>
    public async Task<SiteTask> NextTaskAsync(string site, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(site);
        // The caller's wait runs on the provider's timestamps, the round deadlines on its wall clock (a test may move either).
        var started = _time.GetTimestamp();
        if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
        while (true)
        {
            Task changed;
            SiteTask task;
            DateTimeOffset? deadline;
            lock (_gate)
            {
                Advance();
                task = TaskFor(site);
                changed = _changed.Task;
                deadline = _open?.Deadline;
            }

            var left = wait - _time.GetElapsedTime(started);
            if (task is not SiteTask.Wait || left <= TimeSpan.Zero) return task;

            // Wake at whichever comes first: a state change, the open deadline (to close the round), or the caller's wait.
            var delay = deadline is { } d && d - _time.GetUtcNow() < left ? d - _time.GetUtcNow() : left;
            if (delay < TimeSpan.FromMilliseconds(1)) delay = TimeSpan.FromMilliseconds(1);
            using var stopDelay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var timeout = Task.Delay(delay, _time, stopDelay.Token);
            await Task.WhenAny(changed, timeout).ConfigureAwait(false);
            await stopDelay.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <inheritdoc />
    public SubmitResult SubmitUpdate(string site, SubmittedUpdate update)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(update);
        lock (_gate)
        {
            Advance();
            var open = RequireOpenRound(site, update.Round, out var refusal);
            if (open is null) return RefuseUpdate(site, update.Round, refusal!);
            if (open.Secure is not null)
            {
                return RefuseUpdate(site, update.Round, $"round {open.Round} uses secure aggregation; send the masked input through the secure-aggregation steps.");
            }

            var weights = update.Weights ?? [];
            var maxBytes = MaxUpdateBytes(open);
            if (weights.Length > maxBytes)
            {
                return RefuseUpdate(site, update.Round, $"the update is {weights.Length} bytes; the global model's layout needs at most {maxBytes}.");
            }

            try
            {
                var tensors = ModelBytes.Deserialize(weights, $"Update from site '{site}' for round {update.Round}");
                var metrics = update.Metrics ?? new Dictionary<string, double>();
                open.Validator.Accept(new SiteUpdate(site, update.Round, update.Nonce ?? "", tensors, update.ExampleCount, metrics));
                open.Results[site] = new FitResult(site, tensors, update.ExampleCount, metrics);
            }
            catch (FederationException e)
            {
                return RefuseUpdate(site, update.Round, e.Message);
            }

            open.CountFromSite(site, weights.Length);
            _audit.Append("update_received", new JsonObject
            {
                ["site"] = site,
                ["round"] = open.Round,
                ["sha256"] = ModelBytes.Sha256(weights),
                ["bytes"] = weights.Length,
                ["examples"] = update.ExampleCount,
            });
            Advance();
            Signal();
            return SubmitResult.Ok;
        }
    }

    /// <inheritdoc />
    public SubmitResult SubmitSecureAggregation(string site, SecureAggregationEnvelope message)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(message);
        lock (_gate)
        {
            Advance();
            var open = RequireOpenRound(site, message.Round, out var refusal);
            if (open is null) return RefuseUpdate(site, message.Round, refusal!);
            var secure = open.Secure;
            if (secure is null) return RefuseUpdate(site, message.Round, $"round {open.Round} does not use secure aggregation; submit the update instead.");
            if (message.Stage != secure.Stage)
            {
                return RefuseUpdate(site, message.Round, $"secure-aggregation stage {message.Stage} is not open; round {open.Round} is at stage {secure.Stage}.");
            }

            var payload = message.Payload ?? [];
            try
            {
                secure.Receive(site, payload);
            }
            catch (Exception e) when (e is SecureAggregationException or ArgumentException or System.Security.Cryptography.CryptographicException)
            {
                return RefuseUpdate(site, message.Round, e.Message);
            }

            open.CountFromSite(site, payload.Length);
            _audit.Append("secure_aggregation_received", new JsonObject
            {
                ["site"] = site,
                ["round"] = open.Round,
                ["stage"] = message.Stage,
                ["sha256"] = ModelBytes.Sha256(payload),
                ["bytes"] = payload.Length,
            });
            Advance();
            Signal();
            return SubmitResult.Ok;
        }
    }

    /// <summary>Closes the audit log if the engine opened it; wakes every waiting call.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_ownsAudit) _audit.Dispose();
            Signal();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wakes every waiting <see cref="NextTaskAsync"/>; called under the lock after each state change.</summary>
    private void Signal()
    {
        var changed = _changed;
        _changed = NewSignal();
        changed.TrySetResult();
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Refuse(string site, string eventName, string reason)
    {
        _audit.Append(eventName, new JsonObject { ["site"] = site, ["reason"] = reason });
        CoordinatorLog.JoinRefused(_logger, reason);
        throw new FederationException(reason);
    }

    private SubmitResult RefuseUpdate(string site, int round, string reason)
    {
        _audit.Append("update_refused", new JsonObject { ["site"] = site, ["round"] = round, ["reason"] = reason });
        CoordinatorLog.UpdateRefused(_logger, site, round, reason);
        return SubmitResult.Refused(reason);
    }

    /// <summary>The open round a submission for <paramref name="round"/> from <paramref name="site"/> may enter, or null and why not.</summary>
    private OpenRound? RequireOpenRound(string site, int round, out string? refusal)
    {
        refusal = null;
        if (!_joined.ContainsKey(site)) refusal = $"site '{site}' has not joined.";
        else if (_finalSha256 is not null) refusal = $"training is finished after {_plan.Rounds} rounds; round {round} is closed.";
        else if (round <= _lastFinishedRound) refusal = $"round {round} is closed (it was aggregated without this update: it arrived after the deadline).";
        else if (_open is null || _open.Round != round) refusal = $"round {round} is not open; the open round is {(_open?.Round.ToString(CultureInfo.InvariantCulture) ?? "none")}.";
        else if (!_open.IsSampled(site)) refusal = $"site '{site}' was not sampled for round {round}.";
        return refusal is null ? _open : null;
    }

    /// <summary>A plain update is the global layout in safetensors: twice its size leaves room for any header and refuses blobs.</summary>
    private static int MaxUpdateBytes(OpenRound open) => checked(2 * open.GlobalBytes.Length + 64 * 1024);

    private SiteTask TaskFor(string site)
    {
        if (_finalSha256 is not null) return new SiteTask.Finished(_plan.Rounds, _finalSha256);
        if (!_joined.ContainsKey(site)) throw new FederationException($"Site '{site}' has not joined; it must join before asking for tasks.");
        if (_open is null)
        {
            return new SiteTask.Wait($"Waiting for {_plan.MinSites} sites to join before round {_lastFinishedRound + 1} ({_joined.Count} joined).");
        }

        var open = _open;
        if (!open.IsSampled(site))
        {
            return new SiteTask.Wait($"Round {open.Round} is in progress without this site (it joined after the round opened); it takes part from the next round.");
        }

        if (open.Secure is { } secure)
        {
            if (secure.PendingFor(site) is { } step)
            {
                return step;
            }

            if (secure.Stage == SecureAggregationStages.AdvertiseKeys && !secure.HasAnswered(site)) return HandOutModel(open, site);
            return new SiteTask.Wait($"Round {open.Round}, secure-aggregation stage {secure.Stage}: waiting for the other sites.");
        }

        return open.Results.ContainsKey(site)
            ? new SiteTask.Wait($"Round {open.Round}: {open.Results.Count} of {open.Sampled.Count} updates in; waiting for the others until {open.Deadline:O}.")
            : HandOutModel(open, site);
    }

    private SiteTask.Train HandOutModel(OpenRound open, string site)
    {
        // A site asking again (after a reconnect) gets the same task; it is counted and audited once per attempt.
        if (open.ModelSent.Add(site))
        {
            open.CountToSite(site, open.GlobalBytes.Length);
            _audit.Append("model_sent", new JsonObject { ["site"] = site, ["round"] = open.Round, ["sha256"] = open.GlobalSha256, ["bytes"] = open.GlobalBytes.Length });
        }

        return open.TrainTask(site);
    }

    /// <summary>
    /// Moves the federation forward as far as the clock and the submissions allow: opens a round once enough sites
    /// joined, closes stages and rounds that are complete or past their deadline, and abandons rounds that fall short.
    /// </summary>
    private void Advance()
    {
        while (_finalSha256 is null)
        {
            if (_open is null)
            {
                if (_joined.Count < _plan.MinSites) return;
                OpenNextRound();
                return;
            }

            var open = _open;
            var pastDeadline = _time.GetUtcNow() >= open.Deadline;
            if (open.Secure is { } secure)
            {
                if (!secure.StageComplete && !pastDeadline) return;
                if (!CloseSecureStage(open, secure)) return;
            }
            else
            {
                if (open.Results.Count < open.Sampled.Count && !pastDeadline) return;
                if (open.Results.Count >= Math.Min(_plan.MinSites, open.Sampled.Count)) ClosePlainRound(open);
                else Abandon(open, $"only {open.Results.Count} of {open.Sampled.Count} sampled sites sent an update by the deadline; at least {_plan.MinSites} are needed.");
            }
        }
    }

    private void OpenNextRound()
    {
        var round = _lastFinishedRound + 1;
        _attempt++;
        string[] sampled = [.. _joined.Keys];
        var nonces = RoundNonces.Issue(round, sampled);
        var validator = new UpdateValidator(_global, nonces, new UpdateValidationOptions { MaxUpdateL2Norm = _plan.MaxUpdateNorm });
        var fit = _strategy.ConfigureFit(round);
        SecureAggregationRound? secure = null;
        SecureAggregationSession? session = null;
        if (_plan.SecureAggregation)
        {
            session = new SecureAggregationSession(
                $"{_plan.Name}/round-{round}/attempt-{_attempt}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}", Threshold(sampled.Length));
            secure = new SecureAggregationRound(new SecureAggregationSettings(session.SessionId, round, session.Threshold), _global, sampled);
        }

        var instructions = new RoundInstructions(round, _plan.LocalEpochs, _plan.LearningRate, fit.ProximalMu, _plan.BagsPerStep, session, _plan.DifferentialPrivacy);
        var globalBytes = ModelBytes.Serialize(_global);
        var deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(_plan.RoundDeadlineSeconds);
        _open = new OpenRound(round, _attempt, sampled, nonces, validator, globalBytes, ModelBytes.Sha256(globalBytes), instructions.ToJson(), deadline, secure);
        var data = new JsonObject
        {
            ["round"] = round,
            ["attempt"] = _attempt,
            ["sampled"] = new JsonArray([.. sampled.Select(s => JsonValue.Create(s))]),
            ["deadline"] = deadline.ToString("O", CultureInfo.InvariantCulture),
            ["model_sha256"] = _open.GlobalSha256,
        };
        if (session is not null)
        {
            data["secure_aggregation_session"] = session.SessionId;
            data["threshold"] = session.Threshold;
        }

        _audit.Append("round_opened", data);
        CoordinatorLog.RoundOpened(_logger, round, _attempt, sampled.Length, _joined.Count, deadline);
        Signal();
    }

    /// <summary>t = max(2, ⌈2n/3⌉, MinSites), at most n: above n/2 as the library asks, and no round with fewer than MinSites contributors.</summary>
    private int Threshold(int sampled) => Math.Min(sampled, Math.Max(_plan.MinSites, Math.Max(2, (2 * sampled + 2) / 3)));

    /// <summary>Closes the open secure stage; returns false when the round stays open (a new stage began).</summary>
    private bool CloseSecureStage(OpenRound open, SecureAggregationRound secure)
    {
        var stage = secure.Stage;
        var answered = secure.Expected.Where(secure.HasAnswered).Order(StringComparer.Ordinal).ToArray();
        SecureAggregationResult? result;
        try
        {
            result = secure.CloseStage(site => open.Nonces.BySite[site]);
        }
        catch (SecureAggregationException e)
        {
            Abandon(open, e.Message);
            return true;
        }

        _audit.Append("secure_aggregation_stage", new JsonObject
        {
            ["round"] = open.Round,
            ["stage"] = stage,
            ["sites"] = new JsonArray([.. answered.Select(s => JsonValue.Create(s))]),
        });
        CoordinatorLog.SecureStageClosed(_logger, open.Round, stage, answered.Length);
        if (result is null)
        {
            foreach (var site in secure.Expected)
            {
                open.CountToSite(site, secure.PendingFor(site)?.Payload.Length ?? 0);
            }

            open.Deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(_plan.RoundDeadlineSeconds);
            Signal();
            return false;
        }

        var next = _strategy.AggregateWeightedMean(open.Round, _global, result.WeightedMeanOfLocals(_global));
        var failures = open.Sampled.Where(s => !result.Contributors.Contains(s))
            .Select(s => new FitFailure(s, "its masked input is not in the secure sum (it dropped out or was too late)."))
            .ToArray();
        var metrics = FederatedMetrics.WeightedMean(result.Contributors.Where(secure.Metrics.ContainsKey).Select(s => (secure.Metrics[s], 1.0)));
        CompleteRound(open, next, [.. result.Contributors], failures, metrics);
        return true;
    }

    private void ClosePlainRound(OpenRound open)
    {
        // Results in site-name order, so the floating-point sum is the same whichever update arrived first.
        FitResult[] results = [.. open.Results.Values];
        var failures = open.Sampled.Where(s => !open.Results.ContainsKey(s))
            .Select(s => new FitFailure(s, $"no valid update by the deadline {open.Deadline:O}."))
            .ToArray();
        var next = _strategy.AggregateFit(open.Round, _global, results, failures) ?? _global;
        var metrics = FederatedMetrics.WeightedMean(results.Select(r => (r.Metrics, (double)r.ExampleCount)));
        CompleteRound(open, next, [.. results.Select(r => r.Site)], failures, metrics);
    }

    private void Abandon(OpenRound open, string reason)
    {
        _audit.Append("round_abandoned", new JsonObject { ["round"] = open.Round, ["attempt"] = open.Attempt, ["reason"] = reason });
        CoordinatorLog.RoundAbandoned(_logger, open.Round, open.Attempt, reason);
        _open = null;
        Signal();
    }

    private void CompleteRound(OpenRound open, IReadOnlyList<NamedTensor> next, string[] contributors, FitFailure[] failures, Dictionary<string, double> metrics)
    {
        _global = next;
        _lastFinishedRound = open.Round;
        var attempts = _attempt;
        _attempt = 0;
        _open = null;
        PrivacySpent? privacy = null;
        if (_accountant is not null && _plan.DifferentialPrivacy is { } dp)
        {
            // Every joined site is sampled each round: q = 1.
            _accountant.Step(dp.NoiseMultiplier, sampleRate: 1.0);
            privacy = _accountant.GetPrivacySpent(dp.Delta);
        }

        var modelBytes = ModelBytes.Serialize(next);
        var sha = ModelBytes.Sha256(modelBytes);
        var record = new RoundRecord(open.Round, attempts, open.Sampled, contributors, failures, metrics, sha,
            new Dictionary<string, SiteTraffic>(open.Traffic, StringComparer.Ordinal), privacy, open.Secure is not null, _time.GetUtcNow());
        _history.Add(record);
        var aggregated = new JsonObject
        {
            ["round"] = open.Round,
            ["contributors"] = new JsonArray([.. contributors.Select(s => JsonValue.Create(s))]),
            ["failures"] = new JsonArray([.. failures.Select(f => (JsonNode)new JsonObject { ["site"] = f.Site, ["reason"] = f.Reason })]),
            ["model_sha256"] = sha,
        };
        if (privacy is not null)
        {
            aggregated["epsilon"] = privacy.Epsilon;
            aggregated["delta"] = privacy.Delta;
        }

        _audit.Append("aggregated", aggregated);
        CoordinatorLog.RoundAggregated(_logger, open.Round, contributors.Length, failures.Length, sha);
        var checkpoint = Path.Combine(CheckpointsFolderName, $"round-{open.Round:D4}");
        WriteModel(Path.Combine(StateFolder, checkpoint), next, open.Round);
        _audit.Append("checkpoint", new JsonObject { ["round"] = open.Round, ["path"] = checkpoint.Replace('\\', '/'), ["model_sha256"] = sha });
        if (open.Round >= _plan.Rounds)
        {
            WriteModel(Path.Combine(StateFolder, FinalModelFolderName), next, open.Round);
            var finished = new JsonObject { ["rounds"] = open.Round, ["model_sha256"] = sha, ["path"] = FinalModelFolderName };
            if (privacy is not null)
            {
                finished["epsilon"] = privacy.Epsilon;
                finished["delta"] = privacy.Delta;
            }

            _audit.Append("finished", finished);
            CoordinatorLog.Finished(_logger, open.Round, sha);
            _finalSha256 = sha;
        }

        WriteState(checkpoint, sha);
        Signal();
    }

    private void WriteModel(string folder, IReadOnlyList<NamedTensor> parameters, int round)
    {
        var head = MilHeads.Create(_plan.HeadConfig(), _plan.Seed);
        head.SetParameters(parameters);
        var settings = new
        {
            Federation = _plan.Name,
            Round = round,
            Strategy = _strategy.Name,
            _plan.Rounds,
            _plan.LocalEpochs,
            _plan.BagsPerStep,
            _plan.LearningRate,
            _plan.WeightDecay,
            _plan.SecureAggregation,
            _plan.DifferentialPrivacy,
            _plan.Seed,
        };
        MilModelFolder.Write(folder, TrainedHead.ToModel(head, _plan.Classes, new FeatureOrigin(_plan.ExtractorId, _plan.ExtractorSha256, _plan.EmbeddingDim), settings, summary: null));
    }

    private void WriteState(string checkpoint, string sha)
    {
        var strategyState = ModelBytes.Serialize(_strategy.ExportState());
        new CoordinatorStateFile(CoordinatorStateFile.FormatName, CoordinatorStateFile.CurrentVersion, _plan.Name, _lastFinishedRound,
            checkpoint.Replace('\\', '/'), sha, _strategy.Name, Convert.ToBase64String(strategyState), [.. _history], _audit.Head?.ToString()).Write(StateFolder);
    }

    /// <summary>Continues after the last round recorded in the state folder, checking that the audit log still holds what it recorded.</summary>
    private void Resume()
    {
        var state = CoordinatorStateFile.Read(StateFolder);
        if (state is null) return;
        var where = Path.Combine(StateFolder, CoordinatorStateFile.FileName);
        if (state.Federation != _plan.Name || state.Strategy != _strategy.Name)
        {
            throw new FederationException(
                $"Coordinator state '{where}' belongs to federation '{state.Federation}' with strategy '{state.Strategy}', not '{_plan.Name}' with '{_strategy.Name}'; use another state folder.");
        }

        if (state.AuditAnchor is { } anchor)
        {
            var verification = AuditVerifier.Verify(_audit.Path, AuditAnchor.Parse(anchor));
            if (!verification.IsValid)
            {
                throw new FederationException($"Coordinator state '{where}': the audit log no longer holds the entries it recorded ({verification.Reason}).");
            }
        }

        MilModel checkpoint;
        try
        {
            checkpoint = MilModelFolder.Read(Path.Combine(StateFolder, state.Checkpoint));
        }
        catch (MilException e)
        {
            throw new FederationException($"Coordinator state '{where}': checkpoint '{state.Checkpoint}' cannot be read: {e.Message}", e);
        }

        var sha = ModelBytes.Sha256(ModelBytes.Serialize(checkpoint.Weights));
        if (sha != state.GlobalSha256)
        {
            throw new FederationException($"Coordinator state '{where}': checkpoint '{state.Checkpoint}' holds model {sha}, the state recorded {state.GlobalSha256}.");
        }

        _global = checkpoint.Weights;
        _strategy.ImportState(ModelBytes.Deserialize(Convert.FromBase64String(state.StrategyState), $"strategy state in '{where}'"));
        _lastFinishedRound = state.LastFinishedRound;
        _history.AddRange(state.History);
        if (_accountant is not null && _plan.DifferentialPrivacy is { } dp && _lastFinishedRound > 0)
        {
            _accountant.Step(dp.NoiseMultiplier, sampleRate: 1.0, steps: _lastFinishedRound);
        }

        if (_lastFinishedRound >= _plan.Rounds) _finalSha256 = sha;
        _audit.Append("resumed", new JsonObject { ["last_finished_round"] = _lastFinishedRound, ["model_sha256"] = sha, ["finished"] = _finalSha256 is not null });
        CoordinatorLog.Resumed(_logger, _lastFinishedRound, StateFolder);
    }
}
