namespace PathoFed;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one, never a torn file:
/// content goes to a temporary sibling that is flushed and then renamed over the target.
/// A job killed mid-write leaves only a stray <c>.tmp-*</c> file, which the next run ignores and overwrites.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through a temporary sibling renamed over it.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="write">Writes the content.</param>
    /// <param name="unixCreateMode">The temporary file's mode from its creation on (ignored on Windows): for secrets, so that no reader can open
    /// the file under a wider mode before the content arrives and keep reading it afterwards. The rename keeps the mode.</param>
    public static void Write(string path, Action<Stream> write, UnixFileMode? unixCreateMode = null)
    {
        string temp = TempPathFor(path);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (unixCreateMode is { } mode && !OperatingSystem.IsWindows())
                options.UnixCreateMode = mode;
            using (var stream = new FileStream(temp, options))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static async Task WriteAsync(string path, Func<Stream, Task> write)
    {
        string temp = TempPathFor(path);
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                await write(stream).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    /// <summary>A unique temporary name in the target's own folder, so that the final rename never crosses file systems.</summary>
    public static string TempPathFor(string path)
    {
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath) ?? ".";
        return Path.Combine(folder, $"{TempPrefix}{Guid.NewGuid():N}-{Path.GetFileName(fullPath)}");
    }

    /// <summary>
    /// Deletes what writes of <paramref name="path"/> killed before their rename left behind (its <c>.tmp-&lt;guid&gt;-name</c>
    /// siblings, and nothing else). Only for files no other process may be writing at the same time.
    /// </summary>
    public static void RemoveLeftoversOf(string path)
    {
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath) ?? ".";
        string name = Path.GetFileName(fullPath);
        if (!Directory.Exists(folder)) return;
        foreach (string temp in Directory.EnumerateFiles(folder, TempPrefix + "*-" + name))
        {
            if (IsTempNameOf(Path.GetFileName(temp), name)) TryDelete(temp);
        }
    }

    /// <summary>Deletes every temporary file of interrupted writes under <paramref name="folder"/> (a folder only this job writes).</summary>
    public static void RemoveLeftoversIn(string folder)
    {
        if (!Directory.Exists(folder)) return;
        foreach (string temp in Directory.EnumerateFiles(folder, TempPrefix + "*", SearchOption.AllDirectories))
        {
            string file = Path.GetFileName(temp);
            if (file.Length > TempNameOverhead && IsTempNameOf(file, file[TempNameOverhead..])) TryDelete(temp);
        }
    }

    // ".tmp-" + 32 hex digits + "-" before the target's name.
    private const string TempPrefix = ".tmp-";
    private const int TempNameOverhead = 5 + 32 + 1;

    private static bool IsTempNameOf(string candidate, string name) =>
        candidate.Length == TempNameOverhead + name.Length
        && candidate.StartsWith(TempPrefix, StringComparison.Ordinal)
        && candidate[TempNameOverhead - 1] == '-'
        && candidate.EndsWith(name, StringComparison.Ordinal)
        && !candidate.AsSpan(TempPrefix.Length, 32).ContainsAnyExcept("0123456789abcdef");

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
