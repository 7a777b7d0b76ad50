namespace PathoFed.Federation.Audit;

/// <summary>
/// Checks an audit log's hash chain line by line: each line's hash against its bytes, consecutive sequence numbers
/// from 1, each prev against the previous hash, a line end after the last line, and optionally an
/// <see cref="AuditAnchor"/> kept elsewhere. <c>pathofed fed audit verify LOG [--anchor SEQ:HASH]</c> calls this.
/// </summary>
/// <remarks>
/// Without an anchor, removing lines from the end cannot be detected: the remaining chain is intact. Anyone who can
/// rewrite the file can also recompute every hash from the first changed line on; only an anchor held outside the
/// log (or the sites' own logs) exposes that. The chain makes tampering evident, not impossible.
/// </remarks>
public static class AuditVerifier
{
    /// <summary>Verifies the log at <paramref name="path"/>, stopping at the first problem.</summary>
    /// <param name="path">The log (JSON lines).</param>
    /// <param name="anchor">An entry known from elsewhere; the log must contain it, with that hash.</param>
    /// <exception cref="AuditLogException">The file cannot be read.</exception>
    public static AuditVerification Verify(string path, AuditAnchor? anchor = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] content;
        try
        {
            // ReadWrite sharing: verifying a log the coordinator is appending to is fine; the half-written line, if any, reads as a torn tail.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            content = new byte[stream.Length];
            stream.ReadExactly(content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AuditLogException($"Cannot read audit log {path}: {e.Message}", e);
        }
        return Verify(content, path, anchor);
    }

    internal static AuditVerification Verify(ReadOnlySpan<byte> content, string path, AuditAnchor? anchor)
    {
        var lines = new List<Range>();
        int start = 0;
        for (int end; (end = content[start..].IndexOf((byte)'\n')) >= 0; start += end + 1)
            lines.Add(new Range(start, start + end));
        bool tornTail = start < content.Length;

        var parsed = new ParsedAuditLine?[lines.Count];
        var errors = new string[lines.Count];
        for (int i = 0; i < lines.Count; i++)
            parsed[i] = AuditLine.TryParse(content[lines[i]], out errors[i]);

        var state = new ChainState(path, parsed);
        for (int i = 0; i < lines.Count; i++)
        {
            AuditVerification? problem = parsed[i] is { } line
                ? state.Check(i, line, lines[i].End.Value + 1)
                : state.Fail(AuditProblem.Malformed, i + 1, $"line {i + 1} is not an audit entry: {errors[i]}");
            if (problem is not null)
                return problem;
        }
        if (tornTail)
            return state.Fail(AuditProblem.TornTail, lines.Count + 1,
                $"the last line, {lines.Count + 1}, is incomplete ({content.Length - start} bytes without a line end): the writer stopped while appending it, e.g. a crash or power loss");
        return anchor is null ? state.Valid() : state.CheckAnchor(anchor);
    }

    /// <summary>The chain walked so far; builds the results so every message names the file the same way.</summary>
    private sealed class ChainState(string path, ParsedAuditLine?[] lines)
    {
        private long _expectedSeq = 1;
        private string _prevHash = AuditLine.GenesisHash;
        private long _verifiedLength;
        private readonly Dictionary<long, string> _hashBySeq = [];

        internal AuditVerification? Check(int index, ParsedAuditLine line, long lineEndOffset)
        {
            int lineNumber = index + 1;
            if (line.StoredHash != line.ComputedHash)
                return Fail(AuditProblem.EditedEntry, lineNumber, $"line {lineNumber} (seq {line.Seq}) does not match its hash: the entry was edited");
            if (line.Seq > _expectedSeq)
            {
                int later = Array.FindIndex(lines, index + 1, other => other?.Seq == _expectedSeq);
                return later >= 0
                    ? Fail(AuditProblem.ReorderedEntries, lineNumber, $"line {lineNumber} has seq {line.Seq} where {_expectedSeq} was expected, and seq {_expectedSeq} comes later, at line {later + 1}: lines were reordered")
                    : Fail(AuditProblem.RemovedEntries, lineNumber, $"line {lineNumber} has seq {line.Seq} where {_expectedSeq} was expected: {Range(_expectedSeq, line.Seq - 1)} removed");
            }
            if (line.Seq < _expectedSeq)
                return Fail(AuditProblem.InsertedEntry, lineNumber, $"line {lineNumber} repeats seq {line.Seq} after seq {_expectedSeq - 1}: a line was inserted or copied before it");
            if (line.Prev != _prevHash)
                return Fail(AuditProblem.BrokenChain, lineNumber, $"line {lineNumber} (seq {line.Seq}) has a prev that is not the hash of the entry before it: an earlier line was replaced or inserted");
            _hashBySeq[line.Seq] = line.StoredHash;
            _prevHash = line.StoredHash;
            _expectedSeq++;
            _verifiedLength = lineEndOffset;
            return null;
        }

        internal AuditVerification CheckAnchor(AuditAnchor anchor)
        {
            long count = _expectedSeq - 1;
            if (anchor.Seq > count)
                return Fail(AuditProblem.TruncatedTail, (int)Math.Min(count + 1, int.MaxValue),
                    $"the log ends at seq {count}, but the anchor names seq {anchor.Seq}: entries were cut off the end");
            if (_hashBySeq[anchor.Seq] != anchor.Hash)
                return Fail(AuditProblem.AnchorMismatch, (int)anchor.Seq,
                    $"line {anchor.Seq} (seq {anchor.Seq}) has hash {_hashBySeq[anchor.Seq]}, but the anchor says {anchor.Hash}: the log was rewritten up to there");
            return Valid();
        }

        internal AuditVerification Valid() => new()
        {
            Problem = AuditProblem.None,
            VerifiedEntries = _expectedSeq - 1,
            Head = Head,
            VerifiedLength = _verifiedLength,
        };

        internal AuditVerification Fail(AuditProblem problem, int lineNumber, string reason) => new()
        {
            Problem = problem,
            FirstBadLine = lineNumber,
            Reason = $"Audit log {path}: {reason}.",
            VerifiedEntries = _expectedSeq - 1,
            Head = Head,
            VerifiedLength = _verifiedLength,
        };

        private AuditAnchor? Head => _expectedSeq > 1 ? new AuditAnchor(_expectedSeq - 1, _prevHash) : null;

        private static string Range(long first, long last) => first == last ? $"entry {first} was" : $"entries {first} to {last} were";
    }
}
