using PathoFed.Slides;

namespace PathoFed.Heatmaps.Viewer;

/// <summary>
/// Open slides shared by every request, least recently used closed first. A handle is closed only once no request
/// holds a lease on it, so eviction never pulls a slide from under a tile being read (reads themselves are thread-safe).
/// </summary>
internal sealed class SlideHandleCache : IDisposable
{
    private readonly int _capacity;
    private readonly Func<string, ISlide> _open;
    private readonly Lock _lock = new();
    private readonly LinkedList<Entry> _recency = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _byPath = new(StringComparer.Ordinal);
    private bool _disposed;

    public SlideHandleCache(int capacity, Func<string, ISlide>? open = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
        _open = open ?? (path => SlideReader.Open(path));
    }

    /// <summary>Slides open now (for tests).</summary>
    public int OpenCount
    {
        get { lock (_lock) return _byPath.Count; }
    }

    /// <summary>The open slide at <paramref name="path"/>, opening it when needed; dispose the lease when done reading.</summary>
    /// <exception cref="SlideOpenException">The slide cannot be opened.</exception>
    public Lease Acquire(string path)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_byPath.TryGetValue(path, out LinkedListNode<Entry>? node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                return node.Value.Lend();
            }
        }

        // Opened outside the lock: a slow open of one slide must not stall tiles of the others.
        ISlide opened = _open(path);
        List<Entry> evicted = [];
        Lease lease;
        lock (_lock)
        {
            if (_disposed)
            {
                opened.Dispose();
                throw new ObjectDisposedException(nameof(SlideHandleCache));
            }
            if (_byPath.TryGetValue(path, out LinkedListNode<Entry>? raced))
            {
                // Another request opened it meanwhile: keep theirs.
                opened.Dispose();
                return raced.Value.Lend();
            }
            var entry = new Entry(opened);
            _byPath[path] = _recency.AddFirst(entry);
            lease = entry.Lend();
            while (_recency.Count > _capacity)
            {
                LinkedListNode<Entry> oldest = _recency.Last!;
                _recency.RemoveLast();
                _byPath.Remove(oldest.Value.Slide.Path);
                evicted.Add(oldest.Value);
            }
        }
        foreach (Entry entry in evicted) entry.Retire();
        return lease;
    }

    public void Dispose()
    {
        List<Entry> all;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            all = [.. _recency];
            _recency.Clear();
            _byPath.Clear();
        }
        foreach (Entry entry in all) entry.Retire();
    }

    /// <summary>A slide and the number of leases out on it; the cache's own reference counts as one until retired.</summary>
    internal sealed class Entry(ISlide slide)
    {
        private int _references = 1;

        public ISlide Slide { get; } = slide;

        public Lease Lend()
        {
            Interlocked.Increment(ref _references);
            return new Lease(this);
        }

        public void Retire() => Release();

        public void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0) Slide.Dispose();
        }
    }

    /// <summary>A slide borrowed from the cache; disposing it gives it back.</summary>
    public sealed class Lease : IDisposable
    {
        private Entry? _entry;

        internal Lease(Entry entry) => _entry = entry;

        public ISlide Slide => (_entry ?? throw new ObjectDisposedException(nameof(Lease))).Slide;

        public void Dispose() => Interlocked.Exchange(ref _entry, null)?.Release();
    }
}
