using OpenCvSharp;

namespace PathoFed.Slides;

/// <summary>Argument checks and disposal shared by every backend; backends implement the <c>Core</c> methods.</summary>
public abstract class SlideBase : ISlide
{
    /// <summary>Largest region one call may read (256 Mpx, 1 GiB of BGRA): bigger reads are a bug in the caller, not a need.</summary>
    public const long MaxRegionPixels = 1L << 28;

    private int _disposed;

    protected SlideBase(string path, SlideMetadata metadata)
    {
        Path = path;
        Metadata = metadata;
    }

    public string Path { get; }

    public SlideMetadata Metadata { get; private set; }

    /// <summary>Replaces a missing or wrong recorded resolution with the user's (manifest mpp column, --slide-mpp).</summary>
    internal void OverrideMpp(double mpp) => Metadata = Metadata.WithUserMpp(mpp);

    public void ReadRegion(long level0X, long level0Y, int level, int widthPx, int heightPx, Mat destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(level, Metadata.LevelCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(widthPx);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heightPx);
        if ((long)widthPx * heightPx > MaxRegionPixels)
        {
            throw new ArgumentOutOfRangeException(nameof(widthPx),
                $"Region {widthPx} x {heightPx} px exceeds the {MaxRegionPixels} px limit of one read; read it in tiles.");
        }

        destination.Create(heightPx, widthPx, MatType.CV_8UC3);
        ReadRegionCore(level0X, level0Y, level, widthPx, heightPx, destination);
    }

    public Mat ReadAssociatedImage(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!Metadata.AssociatedImages.Contains(name))
        {
            SlideThrow.Read(Path, $"no associated image named '{name}' (available: {string.Join(", ", Metadata.AssociatedImages)})");
        }
        return ReadAssociatedImageCore(name);
    }

    /// <summary>Fills <paramref name="destination"/>, already allocated as heightPx x widthPx CV_8UC3.</summary>
    protected abstract void ReadRegionCore(long level0X, long level0Y, int level, int widthPx, int heightPx, Mat destination);

    protected abstract Mat ReadAssociatedImageCore(string name);

    protected virtual void DisposeCore() { }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            DisposeCore();
        }
        GC.SuppressFinalize(this);
    }
}
