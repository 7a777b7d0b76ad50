using System.Globalization;

namespace PathoFed.Federation.Audit;

/// <summary>
/// A known point of an audit log, kept outside it: an entry's sequence number and hash. A hash chain proves every
/// line follows from the one before, but cutting lines off the end leaves a shorter chain that is still perfect;
/// only an anchor recorded elsewhere (another machine's log, the round's model metadata, a printed report) shows
/// that entries up to <see cref="Seq"/> once existed. Written as <c>SEQ:HASH</c>.
/// </summary>
/// <param name="Seq">The entry's sequence number (the first entry is 1).</param>
/// <param name="Hash">The entry's hash, 64 lowercase hex digits.</param>
public sealed record AuditAnchor(long Seq, string Hash)
{
    /// <summary>Parses <c>SEQ:HASH</c>, as <see cref="ToString"/> writes it.</summary>
    /// <exception cref="FormatException">The text is not <c>SEQ:HASH</c> with a positive SEQ and 64 lowercase hex digits.</exception>
    public static AuditAnchor Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':');
        if (colon > 0
            && long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out long seq) && seq > 0
            && AuditLine.IsHash(text.AsSpan(colon + 1)))
            return new AuditAnchor(seq, text[(colon + 1)..]);
        throw new FormatException($"'{text}' is not an audit anchor: expected SEQ:HASH, e.g. 42:{new string('0', AuditLine.HashHexLength)}.");
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Seq}:{Hash}");
}
