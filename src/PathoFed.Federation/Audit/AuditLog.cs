using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PathoFed.Core;
using PathoFed.Federation.Security;

namespace PathoFed.Federation.Audit;

/// <summary>
/// An append-only, hash-chained audit log of JSON lines (format: see <see cref="AuditVerifier"/> and the remarks
/// here). One writer at a time: <see cref="Open"/> takes an exclusive lock on <c>LOG.lock</c>, so a second
/// coordinator process cannot fork the chain; readers and <see cref="AuditVerifier"/> may read meanwhile.
/// </summary>
/// <remarks>
/// <para>Line: <c>{"seq":N,"time":"...Z","actor":"...","event":"...","data":{...},"prev":"HEX64","hash":"HEX64"}</c>;
/// hash = SHA-256 of the line without its hash member (the exact canonical form is documented on the internal
/// <c>AuditLine</c> formatter: fixed member order, no whitespace, invariant numbers, ASCII).</para>
/// <para>Each entry is written with one write and flushed to the disk (fsync) before <see cref="Append"/> returns,
/// so a crash loses at most the entry in flight, which then shows as a torn last line.</para>
/// </remarks>
public sealed partial class AuditLog : IDisposable
{
    private readonly Lock _gate = new();
    private readonly FileStream _lockFile;
    private readonly FileStream _log;
    private readonly TimeProvider _time;
    private AuditAnchor? _head;
    private Exception? _failedAppend;

    private AuditLog(string path, string actor, FileStream lockFile, FileStream log, AuditAnchor? head, TimeProvider time)
    {
        Path = path;
        Actor = actor;
        _lockFile = lockFile;
        _log = log;
        _head = head;
        _time = time;
    }

    /// <summary>The log file.</summary>
    public string Path { get; }

    /// <summary>Who writes the entries: <c>coordinator</c> or a site name.</summary>
    public string Actor { get; }

    /// <summary>The last entry written, to publish as an <see cref="AuditAnchor"/>; <c>null</c> while the log is empty.</summary>
    public AuditAnchor? Head
    {
        get { lock (_gate) return _head; }
    }

    /// <summary>Opens a log for appending, creating it when missing; an existing log is verified first and its chain continued.</summary>
    /// <param name="path">The log file; its folder is created when missing.</param>
    /// <param name="actor"><c>coordinator</c> (<see cref="FederationNames.CoordinatorActor"/>) or a site name.</param>
    /// <param name="time">Clock for the entries' time; <c>null</c> for the system clock.</param>
    /// <exception cref="AuditLogException">The log fails verification (the message gives the line and the cause; a torn last line says so),
    /// another writer holds it, or it cannot be opened.</exception>
    public static AuditLog Open(string path, string actor, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!FederationNames.IsValidActor(actor))
            throw new AuditLogException($"Cannot open audit log {path} for actor '{actor}': an actor is '{FederationNames.CoordinatorActor}' or a site name ({FederationNames.SiteNameRule}).");
        string fullPath = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
        FileStream lockFile = TakeWriterLock(fullPath);
        try
        {
            AuditAnchor? head = File.Exists(fullPath) ? VerifyBeforeAppending(fullPath) : null;
            var log = new FileStream(fullPath, FileMode.Append, FileAccess.Write, FileShare.Read);
            return new AuditLog(fullPath, actor, lockFile, log, head, time ?? TimeProvider.System);
        }
        catch (Exception e)
        {
            lockFile.Dispose();
            if (e is IOException or UnauthorizedAccessException)
                throw new AuditLogException($"Cannot open audit log {fullPath} for appending: {e.Message}", e);
            throw;
        }
    }

    /// <summary>Appends one entry and flushes it to the disk; safe to call from several threads.</summary>
    /// <param name="eventName">What happened: lowercase letters, digits and '_' (e.g. join, model_sent, update_received, aggregated, checkpoint).</param>
    /// <param name="data">Details, written as given (member order kept); <c>null</c> for an empty object.</param>
    /// <returns>The new entry as an anchor.</returns>
    /// <exception cref="AuditLogException">Writing failed, now or in an earlier append (the file may then end with a partial line: reopen it to verify).</exception>
    public AuditAnchor Append(string eventName, JsonObject? data = null)
    {
        if (!EventName().IsMatch(eventName ?? ""))
            throw new ArgumentException($"Audit event name '{eventName}' must be 1-64 lowercase letters, digits and '_', starting with a letter.", nameof(eventName));
        byte[] dataJson = AuditLine.SerializeData(data);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(!_log.CanWrite, this);
            if (_failedAppend is not null)
                throw new AuditLogException($"Audit log {Path}: an earlier append failed ({_failedAppend.Message}); the file may end with a partial entry. Reopen it to verify before appending more.", _failedAppend);
            long seq = (_head?.Seq ?? 0) + 1;
            (byte[] line, string hash) = AuditLine.Format(seq, _time.GetUtcNow(), Actor, eventName!, dataJson, _head?.Hash ?? AuditLine.GenesisHash);
            try
            {
                _log.Write(line);
                _log.Flush(flushToDisk: true);
            }
            catch (IOException e)
            {
                _failedAppend = e;
                throw new AuditLogException($"Audit log {Path}: could not write entry {seq.ToString(CultureInfo.InvariantCulture)} ({eventName}): {e.Message}", e);
            }
            _head = new AuditAnchor(seq, hash);
            return _head;
        }
    }

    /// <summary>
    /// After a crash left a torn last line (<see cref="AuditProblem.TornTail"/>), moves that partial line to
    /// <c>LOG.torn-TIMESTAMP</c> and cuts it from the log, so that appending can continue. Refuses when the log has
    /// any other problem; does nothing when its tail is intact.
    /// </summary>
    /// <returns>The file holding the removed bytes, or <c>null</c> when there was no torn line.</returns>
    /// <exception cref="AuditLogException">The log has another problem, or a writer holds it.</exception>
    public static string? SetAsideTornTail(string path)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        using FileStream lockFile = TakeWriterLock(fullPath);
        AuditVerification verification = AuditVerifier.Verify(fullPath);
        if (verification.IsValid)
            return null;
        if (verification.Problem != AuditProblem.TornTail)
            throw new AuditLogException($"{verification.Reason} Only a torn last line can be set aside; this log needs investigating.");
        using var log = new FileStream(fullPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        byte[] torn = new byte[log.Length - verification.VerifiedLength];
        log.Position = verification.VerifiedLength;
        log.ReadExactly(torn);
        string asidePath = $"{fullPath}.torn-{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}";
        AtomicFile.WriteAllBytes(asidePath, torn);
        log.SetLength(verification.VerifiedLength);
        log.Flush(flushToDisk: true);
        return asidePath;
    }

    /// <summary>Closes the log and releases the writer lock.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _log.Dispose();
            _lockFile.Dispose();
        }
    }

    private static AuditAnchor? VerifyBeforeAppending(string path)
    {
        AuditVerification verification = AuditVerifier.Verify(path);
        if (verification.Problem == AuditProblem.TornTail)
            throw new AuditLogException($"{verification.Reason} Refusing to append after it. If the entries before it are all you expect, set the partial line aside with AuditLog.SetAsideTornTail (it keeps the bytes in a .torn file) and reopen.");
        if (!verification.IsValid)
            throw new AuditLogException($"{verification.Reason} Refusing to append to a broken audit log: keep it as evidence and start a new log file.");
        return verification.Head;
    }

    // FileShare.None maps to an exclusive flock on Unix, held until disposed; a separate lock file keeps the log itself readable.
    private static FileStream TakeWriterLock(string logPath)
    {
        string lockPath = logPath + ".lock";
        FileStream? held;
        try
        {
            held = ExclusiveFileLock.TryAcquire(lockPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AuditLogException($"Audit log {logPath}: cannot open its lock file {lockPath}: {e.Message}", e);
        }
        return held ?? throw new AuditLogException($"Audit log {logPath} is already open for appending by another process or AuditLog (lock {lockPath}): one writer at a time keeps the chain linear.");
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex EventName();
}
