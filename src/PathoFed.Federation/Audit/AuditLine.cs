using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PathoFed.Federation.Audit;

/// <summary>
/// The audit line format, one JSON object per line:
/// <code>{"seq":N,"time":"2026-11-23T11:09:37.1234567Z","actor":"...","event":"...","data":{...},"prev":"HEX64","hash":"HEX64"}\n</code>
/// </summary>
/// <remarks>
/// <para>Canonical serialisation of an entry without its hash: the members seq, time, actor, event, data, prev in
/// that order, no whitespace; seq a decimal integer (1 for the first entry); time UTC with seven fraction digits
/// and <c>Z</c>; strings and <c>data</c> as System.Text.Json's <see cref="Utf8JsonWriter"/> writes them by default
/// (invariant number formatting, shortest round-trip for floating point, non-ASCII and HTML-sensitive characters as
/// <c>\uXXXX</c>, so every line is ASCII); <c>data</c>'s members in the order the caller gave them; prev the
/// previous entry's hash (64 zeros for the first entry). hash = lowercase hex SHA-256 of those UTF-8 bytes.</para>
/// <para>The stored line is the canonical bytes with <c>,"hash":"HEX64"</c> inserted before the final <c>}</c>. So
/// a verifier, in any language, recomputes the hash from the stored bytes (drop the 75-byte hash member, put back
/// the <c>}</c>) without reproducing anyone's JSON formatting; any change to a line's bytes, even whitespace,
/// breaks its hash.</para>
/// </remarks>
internal static class AuditLine
{
    internal const int HashHexLength = 64;
    internal static readonly string GenesisHash = new('0', HashHexLength);
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";
    private static readonly string[] MemberOrder = ["seq", "time", "actor", "event", "data", "prev", "hash"];

    private static ReadOnlySpan<byte> HashMemberStart => ",\"hash\":\""u8;
    private static ReadOnlySpan<byte> LineEnd => "\"}"u8;
    private static int HashMemberLength => HashMemberStart.Length + HashHexLength + LineEnd.Length;

    /// <summary>Serialises <paramref name="data"/> (null: an empty object) compactly, as it will appear in the line.</summary>
    internal static byte[] SerializeData(System.Text.Json.Nodes.JsonObject? data)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (data is null)
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
            else
            {
                data.WriteTo(writer);
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The stored line, ending in '\n', and its hash.</summary>
    internal static (byte[] Line, string Hash) Format(long seq, DateTimeOffset time, string actor, string eventName, byte[] dataJson, string prev)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + dataJson.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("seq", seq);
            writer.WriteString("time", time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
            writer.WriteString("actor", actor);
            writer.WriteString("event", eventName);
            writer.WritePropertyName("data");
            writer.WriteRawValue(dataJson, skipInputValidation: true);
            writer.WriteString("prev", prev);
            writer.WriteEndObject();
        }
        ReadOnlySpan<byte> canonical = buffer.WrittenSpan;
        string hash = Convert.ToHexStringLower(SHA256.HashData(canonical));
        byte[] line = [.. canonical[..^1], .. HashMemberStart, .. Encoding.ASCII.GetBytes(hash), .. LineEnd, (byte)'\n'];
        return (line, hash);
    }

    /// <summary>Reads one stored line (without its '\n'); <c>null</c> and a reason when it is not a well-formed entry.</summary>
    internal static ParsedAuditLine? TryParse(ReadOnlySpan<byte> line, out string error)
    {
        if (line.Length <= HashMemberLength || !line.EndsWith(LineEnd) || !line[^HashMemberLength..].StartsWith(HashMemberStart))
        {
            error = "it does not end with the hash member ,\"hash\":\"<64 hex digits>\"}";
            return null;
        }
        string storedHash = Encoding.ASCII.GetString(line[^(HashHexLength + LineEnd.Length)..^LineEnd.Length]);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(line[..^HashMemberLength]);
        sha.AppendData("}"u8);
        string computedHash = Convert.ToHexStringLower(sha.GetHashAndReset());

        try
        {
            using JsonDocument document = JsonDocument.Parse(line.ToArray());
            JsonElement root = document.RootElement;
            string[] members = root.ValueKind == JsonValueKind.Object ? [.. root.EnumerateObject().Select(member => member.Name)] : [];
            if (!members.SequenceEqual(MemberOrder))
            {
                error = $"its members are [{string.Join(", ", members)}], not [{string.Join(", ", MemberOrder)}] in that order";
                return null;
            }
            error = FieldProblem(root);
            if (error.Length > 0)
                return null;
            return new ParsedAuditLine(
                root.GetProperty("seq").GetInt64(), root.GetProperty("actor").GetString()!, root.GetProperty("event").GetString()!,
                root.GetProperty("prev").GetString()!, storedHash, computedHash);
        }
        catch (JsonException e)
        {
            error = "it is not valid JSON: " + e.Message;
            return null;
        }
    }

    internal static bool IsHash(ReadOnlySpan<char> text) =>
        text.Length == HashHexLength && !text.ContainsAnyExcept("0123456789abcdef");

    private static string FieldProblem(JsonElement root)
    {
        JsonElement seq = root.GetProperty("seq");
        if (seq.ValueKind != JsonValueKind.Number || !seq.TryGetInt64(out long seqValue) || seqValue < 1)
            return "seq is not a positive integer";
        if (root.GetProperty("time") is not { ValueKind: JsonValueKind.String } time
            || !DateTime.TryParseExact(time.GetString(), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out _))
            return "time is not a UTC timestamp like 2026-11-23T11:09:37.1234567Z";
        if (root.GetProperty("actor").ValueKind != JsonValueKind.String || root.GetProperty("event").ValueKind != JsonValueKind.String)
            return "actor or event is not a string";
        if (root.GetProperty("data").ValueKind != JsonValueKind.Object)
            return "data is not an object";
        if (root.GetProperty("prev") is not { ValueKind: JsonValueKind.String } prev || !IsHash(prev.GetString()))
            return "prev is not 64 lowercase hex digits";
        return root.GetProperty("hash").ValueKind == JsonValueKind.String && IsHash(root.GetProperty("hash").GetString()) ? "" : "hash is not 64 lowercase hex digits";
    }
}

/// <summary>The fields of one stored line that the chain checks need, with the hash its bytes actually have.</summary>
internal sealed record ParsedAuditLine(long Seq, string Actor, string Event, string Prev, string StoredHash, string ComputedHash);
