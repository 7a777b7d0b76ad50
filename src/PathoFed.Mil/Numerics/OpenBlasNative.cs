using System.Runtime.InteropServices;

namespace PathoFed.Mil.Numerics;

/// <summary>The few OpenBLAS entry points the MIL heads need, from the system <c>libopenblas.so.0</c> (apt libopenblas0-pthread).</summary>
internal static unsafe partial class OpenBlasNative
{
    public const string LibraryName = "libopenblas.so.0";

    public const int RowMajor = 101;
    public const int NoTrans = 111;
    public const int Trans = 112;

    private static int _loadState; // 0 unknown, 1 loaded, -1 missing

    [LibraryImport(LibraryName)]
    public static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(LibraryName)]
    public static partial void cblas_sgemv(int order, int trans, int m, int n, float alpha, float* a, int lda,
        float* x, int incX, float beta, float* y, int incY);

    [LibraryImport(LibraryName)]
    public static partial void openblas_set_num_threads(int threadCount);

    [LibraryImport(LibraryName)]
    public static partial int openblas_get_num_threads();

    /// <summary>
    /// Fails with a <see cref="MilException"/> naming the package when the library is absent; without this the first
    /// BLAS call would throw a bare DllNotFoundException from deep inside a training step.
    /// </summary>
    public static void EnsureLoaded()
    {
        if (_loadState == 1) return;
        var failure = TryLoad(LibraryName);
        _loadState = failure is null ? 1 : -1;
        if (failure is not null) throw failure;
    }

    /// <summary>Null when <paramref name="libraryName"/> loads, else the exception to throw (separate so tests can name a missing library).</summary>
    internal static MilException? TryLoad(string libraryName) =>
        NativeLibrary.TryLoad(libraryName, typeof(OpenBlasNative).Assembly, DllImportSearchPath.SafeDirectories, out _)
            ? null
            : new MilException(
                $"The BLAS library {libraryName} could not be loaded: MIL training needs OpenBLAS. Install libopenblas0-pthread (tools/setup.sh does).");
}
