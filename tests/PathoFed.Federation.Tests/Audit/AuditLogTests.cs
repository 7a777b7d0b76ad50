using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PathoFed.Federation.Audit;

namespace PathoFed.Federation.Tests.Audit;

public sealed class AuditLogTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly string _path;

    public AuditLogTests() => _path = _folder.File("audit.jsonl");

    [Fact]
    public void Append_ThreeEntries_VerifiesAndChainsFromZeros()
    {
        using (AuditLog log = AuditLog.Open(_path, "coordinator"))
        {
            log.Append("join", new JsonObject { ["site"] = "hospital-a", ["thumbprint"] = "ab12" });
            log.Append("model_sent", new JsonObject { ["round"] = 1, ["bytes"] = 123456789012L, ["lr"] = 0.001 });
            AuditAnchor head = log.Append("aggregated");
            Assert.Equal(head, log.Head);
        }

        AuditVerification result = AuditVerifier.Verify(_path);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(3, result.VerifiedEntries);
        string[] lines = File.ReadAllLines(_path);
        using JsonDocument first = JsonDocument.Parse(lines[0]);
        Assert.Equal(["seq", "time", "actor", "event", "data", "prev", "hash"], first.RootElement.EnumerateObject().Select(member => member.Name));
        Assert.Equal(new string('0', 64), first.RootElement.GetProperty("prev").GetString());
        Assert.EndsWith("Z", first.RootElement.GetProperty("time").GetString());
        Assert.Contains("\"data\":{\"round\":1,\"bytes\":123456789012,\"lr\":0.001}", lines[1]);
        Assert.Contains("\"data\":{}", lines[2]);
        Assert.Equal(result.Head!.Hash, JsonDocument.Parse(lines[2]).RootElement.GetProperty("hash").GetString());
    }

    [Fact]
    public void Hash_IsSha256OfTheLineWithoutItsHashMember()
    {
        using (AuditLog log = AuditLog.Open(_path, "hospital-a"))
            log.Append("update_received", new JsonObject { ["note"] = "ünïcode <&>" });

        string line = File.ReadAllLines(_path)[0];
        int hashMember = line.LastIndexOf(",\"hash\":\"", StringComparison.Ordinal);
        string canonical = line[..hashMember] + "}";
        string expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));

        Assert.Equal(expected, JsonDocument.Parse(line).RootElement.GetProperty("hash").GetString());
        Assert.True(Encoding.UTF8.GetByteCount(line) == line.Length, "lines are ASCII");
    }

    [Fact]
    public void Open_ExistingLog_ContinuesTheChain()
    {
        using (AuditLog log = AuditLog.Open(_path, "coordinator"))
            log.Append("join");
        AuditAnchor second;
        using (AuditLog log = AuditLog.Open(_path, "coordinator"))
        {
            Assert.Equal(1, log.Head!.Seq);
            second = log.Append("checkpoint");
        }

        AuditVerification result = AuditVerifier.Verify(_path);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(new AuditAnchor(2, second.Hash), result.Head);
    }

    [Fact]
    public void Open_BrokenLog_RefusesToAppend()
    {
        WriteEntries(3);
        string[] lines = File.ReadAllLines(_path);
        File.WriteAllLines(_path, [lines[0], lines[2]]);

        var error = Assert.Throws<AuditLogException>(() => AuditLog.Open(_path, "coordinator"));

        Assert.Contains($"Audit log {_path}: line 2 has seq 3 where 2 was expected", error.Message);
        Assert.Contains("Refusing to append to a broken audit log", error.Message);
    }

    [Fact]
    public void Open_TornLastLine_RefusesDistinctlyAndSetAsideRecovers()
    {
        WriteEntries(3);
        byte[] content = File.ReadAllBytes(_path);
        File.WriteAllBytes(_path, content[..^40]);

        var error = Assert.Throws<AuditLogException>(() => AuditLog.Open(_path, "coordinator"));
        Assert.Contains("the last line, 3, is incomplete", error.Message);
        Assert.Contains("SetAsideTornTail", error.Message);

        string? aside = AuditLog.SetAsideTornTail(_path);
        Assert.NotNull(aside);
        using (AuditLog log = AuditLog.Open(_path, "coordinator"))
            Assert.Equal(3, log.Append("checkpoint").Seq);
        Assert.True(AuditVerifier.Verify(_path).IsValid);
        Assert.Equal(content.Length - 40 - File.ReadAllLines(_path)[..2].Sum(line => line.Length + 1), new FileInfo(aside).Length);
    }

    [Fact]
    public void Open_SecondWriter_Refused()
    {
        using AuditLog first = AuditLog.Open(_path, "coordinator");

        var error = Assert.Throws<AuditLogException>(() => AuditLog.Open(_path, "coordinator"));

        Assert.Contains("already open for appending", error.Message);
        first.Append("join");
        Assert.True(AuditVerifier.Verify(_path).IsValid, "a reader may verify while the writer holds the log");
    }

    [Fact]
    public void Append_FromSeveralThreads_ProducesOneValidChain()
    {
        const int threads = 4;
        const int perThread = 25;
        using (AuditLog log = AuditLog.Open(_path, "coordinator"))
        {
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, thread =>
            {
                for (int i = 0; i < perThread; i++)
                    log.Append("update_received", new JsonObject { ["thread"] = thread, ["i"] = i });
            });
        }

        AuditVerification result = AuditVerifier.Verify(_path);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(threads * perThread, result.VerifiedEntries);
    }

    [Theory]
    [InlineData("Join")]
    [InlineData("model-sent")]
    [InlineData("")]
    public void Append_InvalidEventName_Refused(string eventName)
    {
        using AuditLog log = AuditLog.Open(_path, "coordinator");

        Assert.Throws<ArgumentException>(() => log.Append(eventName));
    }

    [Fact]
    public void Open_InvalidActor_Refused()
    {
        var error = Assert.Throws<AuditLogException>(() => AuditLog.Open(_path, "Hospital A"));

        Assert.Contains("'Hospital A'", error.Message);
    }

    private void WriteEntries(int count)
    {
        using AuditLog log = AuditLog.Open(_path, "coordinator");
        for (int i = 1; i <= count; i++)
            log.Append("checkpoint", new JsonObject { ["round"] = i });
    }

    public void Dispose() => _folder.Dispose();
}
