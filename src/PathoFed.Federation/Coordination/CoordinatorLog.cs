using Microsoft.Extensions.Logging;

namespace PathoFed.Federation.Coordination;

/// <summary>The coordinator's operational log lines (the audit log is the record; these are for whoever watches the service).</summary>
internal static partial class CoordinatorLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Site {Site} joined ({Joined} sites joined)")]
    public static partial void SiteJoined(ILogger logger, string site, int joined);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Join refused: {Reason}")]
    public static partial void JoinRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Round {Round} (attempt {Attempt}) opened: {Sampled} of {Joined} sites sampled, deadline {Deadline:O}")]
    public static partial void RoundOpened(ILogger logger, int round, int attempt, int sampled, int joined, DateTimeOffset deadline);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Update from {Site} for round {Round} refused: {Reason}")]
    public static partial void UpdateRefused(ILogger logger, string site, int round, string reason);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "Round {Round} aggregated from {Contributors} sites ({Failures} failed), model {ModelSha256}")]
    public static partial void RoundAggregated(ILogger logger, int round, int contributors, int failures, string modelSha256);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "Round {Round} attempt {Attempt} abandoned: {Reason}")]
    public static partial void RoundAbandoned(ILogger logger, int round, int attempt, string reason);

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "Round {Round} secure-aggregation stage {Stage} closed with {Sites} sites")]
    public static partial void SecureStageClosed(ILogger logger, int round, int stage, int sites);

    [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "Federation finished after {Rounds} rounds, model {ModelSha256}")]
    public static partial void Finished(ILogger logger, int rounds, string modelSha256);

    [LoggerMessage(EventId = 131, Level = LogLevel.Information, Message = "Resumed after round {Round} from {StateFolder}")]
    public static partial void Resumed(ILogger logger, int round, string stateFolder);
}
