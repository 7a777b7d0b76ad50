using System.Text.Json.Nodes;
using PathoFed.Federation.Audit;

namespace PathoFed.Federation.Tests.Audit;

/// <summary>Tampering with a five-entry log, one way per test, and where the verifier points.</summary>
public sealed class AuditVerifierTests : IDisposable
{
    private const int EntryCount = 5;
    private readonly TempFolder _folder = new();
    private readonly string _path;
    private readonly string[] _lines;
    private readonly AuditAnchor _head;

    public AuditVerifierTests()
    {
        _path = _folder.File("audit.jsonl");
        using (AuditLog log = AuditLog.Open(_path, "coordinator"))
        {
            for (int round = 1; round <= EntryCount; round++)
                log.Append("aggregated", new JsonObject { ["round"] = round, ["sites"] = 3 });
            _head = log.Head!;
        }
        _lines = File.ReadAllLines(_path);
    }

    [Fact]
    public void Verify_Untouched_ValidWithHead()
    {
        AuditVerification result = AuditVerifier.Verify(_path, _head);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(EntryCount, result.VerifiedEntries);
        Assert.Equal(_head, result.Head);
        Assert.Null(result.FirstBadLine);
    }

    [Fact]
    public void Verify_FieldEditedInMiddleLine_EditedEntryAtThatLine()
    {
        _lines[2] = _lines[2].Replace("\"sites\":3", "\"sites\":4", StringComparison.Ordinal);
        Rewrite(_lines);

        AssertProblem(AuditProblem.EditedEntry, 3, "line 3 (seq 3) does not match its hash: the entry was edited");
    }

    [Fact]
    public void Verify_EditedLineWithRecomputedHash_BrokenChainAtTheNextLine()
    {
        string forged = Forge(seq: 3, prev: HashOf(_lines[1]), data: "{\"round\":3,\"sites\":4}");
        _lines[2] = forged;
        Rewrite(_lines);

        AssertProblem(AuditProblem.BrokenChain, 4, "line 4 (seq 4) has a prev that is not the hash of the entry before it");
    }

    [Fact]
    public void Verify_MiddleLineRemoved_RemovedEntriesAtTheGap()
    {
        Rewrite([_lines[0], _lines[1], _lines[3], _lines[4]]);

        AssertProblem(AuditProblem.RemovedEntries, 3, "line 3 has seq 4 where 3 was expected: entry 3 was removed");
    }

    [Fact]
    public void Verify_TwoLinesSwapped_ReorderedEntries()
    {
        Rewrite([_lines[0], _lines[2], _lines[1], _lines[3], _lines[4]]);

        AssertProblem(AuditProblem.ReorderedEntries, 2, "line 2 has seq 3 where 2 was expected, and seq 2 comes later, at line 3: lines were reordered");
    }

    [Fact]
    public void Verify_ChainedLineInserted_InsertedEntryAtTheLineAfterIt()
    {
        // A forger who knows the format: right seq, right prev, right hash; the next genuine line then repeats its seq.
        string inserted = Forge(seq: 3, prev: HashOf(_lines[1]), data: "{\"round\":99}");
        Rewrite([_lines[0], _lines[1], inserted, _lines[2], _lines[3], _lines[4]]);

        AssertProblem(AuditProblem.InsertedEntry, 4, "line 4 repeats seq 3 after seq 3: a line was inserted or copied before it");
    }

    [Fact]
    public void Verify_UnchainedLineInserted_BrokenChainAtIt()
    {
        string inserted = Forge(seq: 3, prev: new string('0', 64), data: "{}");
        Rewrite([_lines[0], _lines[1], inserted, _lines[2], _lines[3], _lines[4]]);

        AssertProblem(AuditProblem.BrokenChain, 3, "line 3 (seq 3) has a prev that is not the hash of the entry before it");
    }

    [Fact]
    public void Verify_TailTruncated_ValidWithoutAnchorDetectedWithIt()
    {
        Rewrite(_lines[..3]);

        Assert.True(AuditVerifier.Verify(_path).IsValid, "a shortened chain is intact on its own: the limitation an anchor exists for");
        AssertProblem(AuditProblem.TruncatedTail, 4, "the log ends at seq 3, but the anchor names seq 5: entries were cut off the end", _head);
    }

    [Fact]
    public void Verify_OlderAnchorOnGrownLog_Valid()
    {
        AuditAnchor older = new(2, HashOf(_lines[1]));

        Assert.True(AuditVerifier.Verify(_path, older).IsValid);
        AssertProblem(AuditProblem.AnchorMismatch, 2, $"line 2 (seq 2) has hash {older.Hash}, but the anchor says {_head.Hash}", new AuditAnchor(2, _head.Hash));
    }

    [Fact]
    public void Verify_TornLastLine_TornTailNotEdit()
    {
        File.WriteAllText(_path, string.Join("\n", _lines) + "\n" + _lines[4][..30]);

        AssertProblem(AuditProblem.TornTail, 6, "the last line, 6, is incomplete (30 bytes without a line end)");
    }

    [Fact]
    public void Verify_GarbageLine_Malformed()
    {
        _lines[1] = "{\"seq\":2}";
        Rewrite(_lines);

        AssertProblem(AuditProblem.Malformed, 2, "line 2 is not an audit entry");
    }

    [Fact]
    public void Verify_EmptyFile_ValidWithNoHead()
    {
        File.WriteAllText(_path, "");

        AuditVerification result = AuditVerifier.Verify(_path);

        Assert.True(result.IsValid);
        Assert.Null(result.Head);
    }

    [Fact]
    public void AnchorText_RoundTrips()
    {
        Assert.Equal(_head, AuditAnchor.Parse(_head.ToString()));
        Assert.Throws<FormatException>(() => AuditAnchor.Parse("5:xyz"));
    }

    private void AssertProblem(AuditProblem problem, int line, string reasonFragment, AuditAnchor? anchor = null)
    {
        AuditVerification result = AuditVerifier.Verify(_path, anchor);

        Assert.Equal(problem, result.Problem);
        Assert.Equal(line, result.FirstBadLine);
        Assert.StartsWith($"Audit log {_path}: ", result.Reason);
        Assert.Contains(reasonFragment, result.Reason);
    }

    private void Rewrite(string[] lines) => File.WriteAllText(_path, string.Concat(lines.Select(line => line + "\n")));

    private static string HashOf(string line) => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("hash").GetString()!;

    /// <summary>A well-formed entry with a correct hash of its own, built the way a forger who read the format would.</summary>
    private static string Forge(long seq, string prev, string data)
    {
        (byte[] line, _) = AuditLine.Format(seq, DateTimeOffset.UtcNow, "coordinator", "aggregated", System.Text.Encoding.ASCII.GetBytes(data), prev);
        return System.Text.Encoding.ASCII.GetString(line).TrimEnd('\n');
    }

    public void Dispose() => _folder.Dispose();
}
