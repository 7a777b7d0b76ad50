using PathoFed.Mil.Numerics;

namespace PathoFed.Mil.Tests.Numerics;

public sealed class BlasTests
{
    public static TheoryData<bool, bool, int, int, int> Shapes()
    {
        var data = new TheoryData<bool, bool, int, int, int>();
        foreach (var transposeA in new[] { false, true })
        foreach (var transposeB in new[] { false, true })
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 3, 5), (13, 17, 1), (1, 9, 31), (33, 65, 129) })
            data.Add(transposeA, transposeB, m, n, k);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gemm_OddShapesAllTransposes_MatchesNaiveProduct(bool transposeA, bool transposeB, int m, int n, int k)
    {
        var rng = new Random(m * 1000 + n * 10 + k);
        var a = RandomValues(m * k, rng);
        var b = RandomValues(k * n, rng);
        var c = RandomValues(m * n, rng);
        var expected = new double[m * n];
        for (var i = 0; i < m; i++)
        for (var j = 0; j < n; j++)
        {
            var sum = 0.0;
            for (var p = 0; p < k; p++)
                sum += (double)a[transposeA ? p * m + i : i * k + p] * b[transposeB ? j * k + p : p * n + j];
            expected[i * n + j] = 1.5 * sum + 0.5 * c[i * n + j];
        }

        Blas.Gemm(transposeA, transposeB, m, n, k, 1.5f, a, b, 0.5f, c);

        for (var i = 0; i < c.Length; i++) Assert.Equal(expected[i], c[i], 1e-4 * Math.Max(1, Math.Abs(expected[i])));
    }

    [Theory]
    [InlineData(false, 5, 3)]
    [InlineData(true, 5, 3)]
    [InlineData(false, 1, 17)]
    [InlineData(true, 17, 1)]
    public void Gemv_BothOrientations_MatchesNaiveProduct(bool transposeA, int rows, int columns)
    {
        var rng = new Random(rows * 31 + columns);
        var a = RandomValues(rows * columns, rng);
        var x = RandomValues(transposeA ? rows : columns, rng);
        var y = RandomValues(transposeA ? columns : rows, rng);
        var expected = new double[y.Length];
        for (var o = 0; o < y.Length; o++)
        {
            var sum = 0.0;
            for (var p = 0; p < x.Length; p++) sum += (double)(transposeA ? a[p * columns + o] : a[o * columns + p]) * x[p];
            expected[o] = 2 * sum - y[o];
        }

        Blas.Gemv(transposeA, rows, columns, 2f, a, x, -1f, y);

        for (var i = 0; i < y.Length; i++) Assert.Equal(expected[i], y[i], 1e-4 * Math.Max(1, Math.Abs(expected[i])));
    }

    [Fact]
    public void Gemm_SpanShorterThanShape_ThrowsNamingTheOperand()
    {
        var error = Assert.Throws<ArgumentException>(() => Blas.Gemm(false, false, 3, 3, 3, 1f, new float[8], new float[9], 0f, new float[9]));
        Assert.Contains("a holds 8", error.Message);
    }

    [Fact]
    public void Gemm_InnerDimensionZero_ScalesOutputByBeta()
    {
        var c = new float[] { 2, 4 };
        Blas.Gemm(false, false, 1, 2, 0, 1f, [], [], 0.5f, c);
        Assert.Equal([1f, 2f], c);
    }

    [Fact]
    public void Gemm_RepeatedOnLargeShapesWithTwoThreads_IsBitIdentical()
    {
        var previous = Blas.ThreadCount;
        try
        {
            Blas.ThreadCount = 2;
            var rng = new Random(5);
            const int m = 301, n = 257, k = 517;
            var a = RandomValues(m * k, rng);
            var b = RandomValues(k * n, rng);
            var first = new float[m * n];
            var second = new float[m * n];
            Blas.Gemm(false, true, m, n, k, 1f, a, b, 0f, first);
            for (var run = 0; run < 5; run++)
            {
                Blas.Gemm(false, true, m, n, k, 1f, a, b, 0f, second);
                Assert.True(first.AsSpan().SequenceEqual(second), $"run {run} differs");
            }
        }
        finally
        {
            Blas.ThreadCount = previous;
        }
    }

    private static float[] RandomValues(int count, Random rng)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++) values[i] = rng.NextSingle() * 2f - 1f;
        return values;
    }
}

public sealed class OpenBlasNativeTests
{
    [Fact]
    public void TryLoad_MissingLibrary_ExplainsWhichPackageToInstall()
    {
        var error = OpenBlasNative.TryLoad("libopenblas-absent.so.0");
        Assert.NotNull(error);
        Assert.Contains("libopenblas-absent.so.0", error.Message);
        Assert.Contains("install libopenblas0-pthread", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TryLoad_InstalledLibrary_Succeeds() => Assert.Null(OpenBlasNative.TryLoad(OpenBlasNative.LibraryName));
}
