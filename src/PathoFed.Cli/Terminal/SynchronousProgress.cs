namespace PathoFed.Cli.Terminal;

/// <summary>Unlike <see cref="Progress{T}"/>, reports on the caller's thread at once, in order, one report at a time.</summary>
internal sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    private readonly object _gate = new();

    public void Report(T value)
    {
        lock (_gate) handler(value);
    }
}
