using System.Text.Json;
using PathoFed.Features.Extractors;
using PathoFed.Features.Onnx;
using DataType = PathoFed.Features.Onnx.TensorProto.Types.DataType;

namespace PathoFed.Features.Tests.Extractors;

/// <summary>
/// Small real ONNX models written to disk with a manifest beside them: the mean colour of each (normalised) input
/// plane, so the expected embedding of a patch can be computed independently with OpenCV.
/// </summary>
public static class TinyModels
{
    public const int SizePx = 32;
    public static readonly float[] Mean = [0.5f, 0.4f, 0.3f];
    public static readonly float[] Std = [0.25f, 0.5f, 0.2f];

    /// <summary>GlobalAveragePool over [N,3,S,S] giving "embedding" [N,3,1,1]: 3 values per patch in R, G, B order.</summary>
    public static byte[] MeanColour(int sizePx = SizePx, OnnxDim? batch = null, string inputName = "pixels") =>
        new OnnxGraphBuilder("mean_colour", "test")
            .AddInput(inputName, DataType.Float, batch ?? "N", 3, sizePx, sizePx)
            .AddNode("GlobalAveragePool", [inputName], ["embedding"])
            .AddOutput("embedding", DataType.Float, batch ?? "N", 3, 1, 1)
            .ToBytes();

    /// <summary>The same in half precision, as a GPU export would be: float16 in, float16 out, averaged in float32.</summary>
    public static byte[] MeanColourHalf() =>
        new OnnxGraphBuilder("mean_colour_fp16", "test")
            .AddInput("pixels", DataType.Float16, "N", 3, SizePx, SizePx)
            .AddNode("Cast", ["pixels"], ["pixels32"], OnnxAttribute.Int("to", (long)DataType.Float))
            .AddNode("GlobalAveragePool", ["pixels32"], ["mean32"])
            .AddNode("Cast", ["mean32"], ["embedding"], OnnxAttribute.Int("to", (long)DataType.Float16))
            .AddOutput("embedding", DataType.Float16, "N", 3, 1, 1)
            .ToBytes();

    /// <summary>Writes <paramref name="model"/> as ID.onnx and a manifest ID.json in <paramref name="folder"/>; returns the manifest path.</summary>
    public static string Write(string folder, string id, byte[] model, int sizePx = SizePx, int dim = 3, string inputName = "pixels",
        string? sha256 = null, double targetMpp = 0.5, int? patchPx = null, string dtype = "float32")
    {
        File.WriteAllBytes(Path.Combine(folder, id + ".onnx"), model);
        var manifest = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["onnx"] = id + ".onnx",
            ["sha256"] = sha256,
            ["input"] = new Dictionary<string, object?>
            {
                ["name"] = inputName, ["dtype"] = dtype, ["size_px"] = sizePx, ["patch_px"] = patchPx, ["range"] = "0-1", ["mean"] = Mean, ["std"] = Std,
            },
            ["target_mpp"] = targetMpp,
            ["output"] = new Dictionary<string, object?> { ["name"] = "embedding", ["dtype"] = dtype, ["dim"] = dim },
        };
        string path = Path.Combine(folder, id + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(manifest));
        return path;
    }

    public static OnnxFeatureExtractor Open(string manifestPath) =>
        OnnxFeatureExtractor.Open(ExtractorCatalog.Find(manifestPath), new ExtractorRuntimeOptions { Device = ExecutionDevice.Cpu });
}
