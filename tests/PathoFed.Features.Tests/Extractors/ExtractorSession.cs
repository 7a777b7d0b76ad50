using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using PathoFed.Features.Extractors;

namespace PathoFed.Features.Tests.Extractors;

/// <summary>One ONNX Runtime session over <see cref="HandETextureExtractor.BuildModel"/>, shared by a test class.</summary>
public sealed class ExtractorSession : IDisposable
{
    private const int Size = HandETextureExtractor.InputSizePx;

    public InferenceSession Session { get; } = new(HandETextureExtractor.BuildModel());

    /// <summary>Embeds BGR patches (as slides return them) in one batch; row n of the result belongs to patch n.</summary>
    public float[][] Embed(params Mat[] patchesBgr)
    {
        var pixels = new float[patchesBgr.Length * 3 * Size * Size];
        for (int n = 0; n < patchesBgr.Length; n++) WriteRgbNchw(patchesBgr[n], pixels.AsSpan(n * 3 * Size * Size, 3 * Size * Size));
        return Embed(pixels, patchesBgr.Length);
    }

    public float[][] Embed(float[] pixelsNchw, int batch)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(pixelsNchw, [batch, 3, Size, Size]);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs =
            Session.Run(runOptions, [HandETextureExtractor.InputName], [input], [HandETextureExtractor.OutputName]);
        // Copied out before the outputs are disposed: the span points into ONNX Runtime's buffer.
        ReadOnlySpan<float> embedding = outputs[0].GetTensorDataAsSpan<float>();
        Assert.Equal(batch * HandETextureExtractor.EmbeddingDim, embedding.Length);
        var rows = new float[batch][];
        for (int n = 0; n < batch; n++) rows[n] = embedding.Slice(n * HandETextureExtractor.EmbeddingDim, HandETextureExtractor.EmbeddingDim).ToArray();
        return rows;
    }

    /// <summary>8-bit BGR, interleaved (OpenCV) to float RGB planes (the model's NCHW input).</summary>
    public static unsafe void WriteRgbNchw(Mat bgr, Span<float> destination)
    {
        Assert.Equal(MatType.CV_8UC3, bgr.Type());
        Assert.Equal(new Size(Size, Size), bgr.Size());
        const int plane = Size * Size;
        for (int y = 0; y < Size; y++)
        {
            byte* row = (byte*)bgr.Ptr(y);
            for (int x = 0; x < Size; x++)
            {
                destination[y * Size + x] = row[3 * x + 2];
                destination[plane + y * Size + x] = row[3 * x + 1];
                destination[2 * plane + y * Size + x] = row[3 * x];
            }
        }
    }

    public void Dispose() => Session.Dispose();
}
