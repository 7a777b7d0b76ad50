namespace PathoFed.Federation.Audit;

/// <summary>What is wrong with an audit log, as far as the first problem found.</summary>
public enum AuditProblem
{
    /// <summary>The log is intact (and matches the anchor, when one was given).</summary>
    None,

    /// <summary>A line is not a well-formed entry (bad JSON, members missing or out of order, a field of the wrong kind).</summary>
    Malformed,

    /// <summary>A line's hash does not match its content: the line was edited in place.</summary>
    EditedEntry,

    /// <summary>Sequence numbers jump forward and the skipped ones appear nowhere: lines were removed.</summary>
    RemovedEntries,

    /// <summary>Sequence numbers jump forward and the skipped ones appear later: lines were moved.</summary>
    ReorderedEntries,

    /// <summary>A sequence number repeats or goes back: a line was inserted or copied.</summary>
    InsertedEntry,

    /// <summary>A line's prev is not the previous line's hash: a line before it was replaced, inserted or removed with its hash recomputed.</summary>
    BrokenChain,

    /// <summary>The last line has no line end: the writer stopped (crashed, lost power) while appending it.</summary>
    TornTail,

    /// <summary>The log ends before the anchor's entry: entries were cut off the end.</summary>
    TruncatedTail,

    /// <summary>The anchor's entry exists but has another hash: the log was rewritten up to there.</summary>
    AnchorMismatch,
}

/// <summary>The result of <see cref="AuditVerifier.Verify"/>.</summary>
public sealed record AuditVerification
{
    /// <summary>Whether no problem was found.</summary>
    public bool IsValid => Problem == AuditProblem.None;

    /// <summary>The first problem found; <see cref="AuditProblem.None"/> when valid.</summary>
    public required AuditProblem Problem { get; init; }

    /// <summary>1-based line of the first problem (for a truncated tail, the first line that is missing); <c>null</c> when valid.</summary>
    public int? FirstBadLine { get; init; }

    /// <summary>The problem in words, naming the file and the line; <c>null</c> when valid.</summary>
    public string? Reason { get; init; }

    /// <summary>How many entries verified before the first problem (all of them when valid).</summary>
    public required long VerifiedEntries { get; init; }

    /// <summary>The last verified entry, to keep as an anchor for the next verification; <c>null</c> when none verified.</summary>
    public AuditAnchor? Head { get; init; }

    /// <summary>Byte length of the verified lines: where appending continues, and where a torn tail begins.</summary>
    internal long VerifiedLength { get; init; }
}
