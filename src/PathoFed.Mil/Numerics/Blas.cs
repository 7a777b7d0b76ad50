namespace PathoFed.Mil.Numerics;

/// <summary>
/// Row-major dense algebra over spans through OpenBLAS. Shapes are checked against span lengths before any native call, so a
/// wrong shape is an exception here rather than a read past a buffer in native code.
/// </summary>
public static unsafe class Blas
{
    /// <summary>Threads OpenBLAS uses for one call. Results are bit-identical run to run for a fixed count and fixed shapes.</summary>
    public static int ThreadCount
    {
        get
        {
            OpenBlasNative.EnsureLoaded();
            return OpenBlasNative.openblas_get_num_threads();
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            OpenBlasNative.EnsureLoaded();
            OpenBlasNative.openblas_set_num_threads(value);
        }
    }

    /// <summary>
    /// C = alpha · op(A) · op(B) + beta · C with op(A) of <paramref name="m"/> x <paramref name="k"/> and op(B) of
    /// <paramref name="k"/> x <paramref name="n"/>, all row-major and densely packed. A stored transposed is k x m.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape.</exception>
    /// <exception cref="MilException">libopenblas.so.0 is not installed.</exception>
    public static void Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, ReadOnlySpan<float> a,
        ReadOnlySpan<float> b, float beta, Span<float> c)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        RequireLength(a, (long)m * k, nameof(a));
        RequireLength(b, (long)k * n, nameof(b));
        RequireLength(c, (long)m * n, nameof(c));
        if (m == 0 || n == 0) return;
        OpenBlasNative.EnsureLoaded();
        if (k == 0)
        {
            // BLAS leaves C untouched for k = 0 only when beta is 1; keep the mathematical meaning for any beta.
            var target = c[..(m * n)];
            if (beta == 0f) target.Clear();
            else System.Numerics.Tensors.TensorPrimitives.Multiply(target, beta, target);
            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            OpenBlasNative.cblas_sgemm(OpenBlasNative.RowMajor,
                transposeA ? OpenBlasNative.Trans : OpenBlasNative.NoTrans,
                transposeB ? OpenBlasNative.Trans : OpenBlasNative.NoTrans,
                m, n, k, alpha, pa, transposeA ? m : k, pb, transposeB ? k : n, beta, pc, n);
        }
    }

    /// <summary>
    /// y = alpha · op(A) · x + beta · y with A of <paramref name="rows"/> x <paramref name="columns"/> row-major; op(A) = Aᵀ when
    /// <paramref name="transposeA"/> (then x has <paramref name="rows"/> elements and y <paramref name="columns"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than its shape.</exception>
    /// <exception cref="MilException">libopenblas.so.0 is not installed.</exception>
    public static void Gemv(bool transposeA, int rows, int columns, float alpha, ReadOnlySpan<float> a, ReadOnlySpan<float> x,
        float beta, Span<float> y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        var xLength = transposeA ? rows : columns;
        var yLength = transposeA ? columns : rows;
        RequireLength(a, (long)rows * columns, nameof(a));
        RequireLength(x, xLength, nameof(x));
        RequireLength(y, yLength, nameof(y));
        if (yLength == 0) return;
        OpenBlasNative.EnsureLoaded();
        if (xLength == 0)
        {
            var target = y[..yLength];
            if (beta == 0f) target.Clear();
            else System.Numerics.Tensors.TensorPrimitives.Multiply(target, beta, target);
            return;
        }

        fixed (float* pa = a)
        fixed (float* px = x)
        fixed (float* py = y)
        {
            OpenBlasNative.cblas_sgemv(OpenBlasNative.RowMajor, transposeA ? OpenBlasNative.Trans : OpenBlasNative.NoTrans,
                rows, columns, alpha, pa, columns, px, 1, beta, py, 1);
        }
    }

    private static void RequireLength(ReadOnlySpan<float> span, long needed, string name)
    {
        if (span.Length < needed)
            throw new ArgumentException($"{name} holds {span.Length} floats; the shape needs {needed}.", name);
    }
}
