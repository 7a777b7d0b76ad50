namespace PathoFed.Core;

/// <summary>
/// An exclusive lock on a lock file, between processes as between threads: <see cref="FileShare.None"/> maps to flock on
/// Unix, held until the returned stream is disposed. Only "another holder has it" means wait; any other failure to open
/// the file (a missing folder, no permission, a full disk) is thrown as it is, so nobody waits forever for a lock that
/// can never be taken.
/// </summary>
public static class ExclusiveFileLock
{
    // What FileStream reports when the lock is held: errno EWOULDBLOCK on Linux (11) and macOS (35),
    // ERROR_SHARING_VIOLATION or ERROR_LOCK_VIOLATION on Windows.
    private static readonly int[] HeldByAnotherResults = [11, 35, unchecked((int)0x80070020), unchecked((int)0x80070021)];

    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The lock, or null when another holder has it.</summary>
    /// <exception cref="IOException">The lock file cannot be opened for another reason (e.g. <see cref="DirectoryNotFoundException"/>).</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to open the lock file.</exception>
    public static FileStream? TryAcquire(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e.GetType() == typeof(IOException) && HeldByAnotherResults.Contains(e.HResult))
        {
            return null;
        }
    }

    /// <summary>The lock, waited for while another holder has it.</summary>
    /// <exception cref="IOException">The lock file cannot be opened for another reason.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to open the lock file.</exception>
    /// <exception cref="OperationCanceledException">Cancelled while waiting.</exception>
    public static async Task<FileStream> AcquireAsync(string path, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (TryAcquire(path) is { } held) return held;
            await Task.Delay(RetryInterval, cancellationToken).ConfigureAwait(false);
        }
    }
}
