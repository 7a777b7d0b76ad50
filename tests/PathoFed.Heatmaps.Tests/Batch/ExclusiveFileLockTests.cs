using System.Diagnostics;
using PathoFed.Core;

namespace PathoFed.Heatmaps.Tests.Batch;

/// <summary>The lock that serialises publishing a batch's tables between shards (and an audit log's writers).</summary>
public sealed class ExclusiveFileLockTests
{
    [Fact]
    public async Task AcquireAsync_WhileAnotherProcessHoldsTheLock_WaitsAndThenTakesIt()
    {
        using var temp = new TempFolder();
        string path = temp.File("publish.lock");
        // util-linux flock(1) takes the same exclusive flock .NET's FileShare.None takes.
        using Process holder = Process.Start(new ProcessStartInfo("flock", ["-x", path, "-c", "echo held; sleep 30"]) { RedirectStandardOutput = true })!;
        try
        {
            Assert.Equal("held", await holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Null(ExclusiveFileLock.TryAcquire(path));
            Task<FileStream> waiting = ExclusiveFileLock.AcquireAsync(path);
            await Task.Delay(300);
            Assert.False(waiting.IsCompleted, "took a lock another process holds");

            holder.Kill(entireProcessTree: true); // the shell flock(1) runs inherits the locked descriptor
            await holder.WaitForExitAsync();

            using FileStream taken = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Null(ExclusiveFileLock.TryAcquire(path)); // and now this holder excludes others
        }
        finally
        {
            if (!holder.HasExited) holder.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task AcquireAsync_LockInAMissingFolder_FailsAtOnceInsteadOfWaitingForever()
    {
        using var temp = new TempFolder();

        Task<FileStream> acquiring = ExclusiveFileLock.AcquireAsync(temp.File("deleted-output/publish.lock"));

        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => acquiring.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task AcquireAsync_Cancelled_StopsWaiting()
    {
        using var temp = new TempFolder();
        string path = temp.File("publish.lock");
        using FileStream held = ExclusiveFileLock.TryAcquire(path)!;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ExclusiveFileLock.AcquireAsync(path, cancel.Token).WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
