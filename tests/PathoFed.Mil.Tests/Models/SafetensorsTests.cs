using System.Buffers.Binary;
using System.Text;
using PathoFed.Mil.Data;
using PathoFed.Mil.Models;

namespace PathoFed.Mil.Tests.Models;

public sealed class SafetensorsTests
{
    private static readonly string NumpyFixture = Path.Combine(AppContext.BaseDirectory, "Models", "Fixtures", "numpy-written.safetensors");

    [Fact]
    public void Write_TinyTensor_MatchesHandBuiltBytes()
    {
        // 54 bytes of compact JSON, padded with 2 spaces to 56 = 0x38; then 1.0f and -2.0f little-endian.
        string json = """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        byte[] expected =
        [
            0x38, 0, 0, 0, 0, 0, 0, 0,
            .. Encoding.ASCII.GetBytes(json + "  "),
            0x00, 0x00, 0x80, 0x3F,
            0x00, 0x00, 0x00, 0xC0,
        ];
        using var stream = new MemoryStream();

        Safetensors.Write(stream, [new NamedTensor("w", [2], [1f, -2f])]);

        Assert.Equal(54, json.Length);
        Assert.Equal(expected, stream.ToArray());
    }

    [Fact]
    public void Write_Metadata_ComesFirstAndKeepsHeaderAligned()
    {
        using var stream = new MemoryStream();
        Safetensors.Write(stream, [new NamedTensor("b", [1], [0.5f])], new Dictionary<string, string> { ["z"] = "2", ["a"] = "1" });
        byte[] bytes = stream.ToArray();
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);

        Assert.Equal(0, headerLength % 8);
        Assert.StartsWith("""{"__metadata__":{"a":"1","z":"2"},"b":""", Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
        Assert.Equal(8 + headerLength + 4, bytes.Length);
    }

    [Fact]
    public void WriteFileThenReadFile_RoundTripsTensorsAndMetadata()
    {
        using var temp = new TempFolder();
        string path = temp.File("w.safetensors");
        NamedTensor[] tensors =
        [
            new("layer.weight", [2, 3], [1, -2, 3.5f, float.MaxValue, float.Epsilon, -0f]),
            new("layer.bias", [3], [0.1f, 0.2f, 0.3f]),
            new("scalar", [], [42f]),
            new("empty", [0, 5], []),
        ];

        Safetensors.WriteFile(path, tensors, new Dictionary<string, string> { ["head"] = "abmil" });
        SafetensorsContent content = Safetensors.ReadFile(path);

        Assert.Equal(tensors.Select(t => t.Name), content.Tensors.Select(t => t.Name));
        Assert.Equal(tensors.Select(t => t.Shape), content.Tensors.Select(t => t.Shape));
        Assert.Equal(tensors.Select(t => t.Values), content.Tensors.Select(t => t.Values));
        Assert.Equal("abmil", content.Metadata["head"]);
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void ReadFile_WrittenByNumpyScript_ReadsSortedTensors()
    {
        SafetensorsContent content = Safetensors.ReadFile(NumpyFixture);

        Assert.Equal(["attention.w", "classifier.b", "empty"], content.Tensors.Select(t => t.Name));
        Assert.Equal([2, 3], content.Tensors[0].Shape);
        Assert.Equal([0f, 0.25f, 0.5f, 0.75f, 1f, 1.25f], content.Tensors[0].Values);
        Assert.Equal([-1.5f, 3.25f], content.Tensors[1].Values);
        Assert.Equal([0, 4], content.Tensors[2].Shape);
        Assert.Equal("numpy", content.Metadata["writer"]);
    }

    [Fact]
    public void Write_SameTensorsAsNumpyScript_SameDataBytes()
    {
        // Header formatting may differ (we keep caller order), but the data section must be byte-identical.
        byte[] reference = File.ReadAllBytes(NumpyFixture);
        using var stream = new MemoryStream();
        Safetensors.Write(stream, [.. Safetensors.ReadFile(NumpyFixture).Tensors]);
        byte[] ours = stream.ToArray();

        Assert.Equal(DataSection(reference), DataSection(ours));
    }

    private static byte[] DataSection(byte[] file) => file[(8 + (int)BinaryPrimitives.ReadInt64LittleEndian(file))..];

    public static TheoryData<byte[], string> CorruptFiles => new()
    {
        { new byte[5], "5 bytes is too short to hold the 8-byte header length" },
        { [.. LengthPrefix(1_000_000), .. "{}"u8], "header length 1000000 exceeds the file (10 bytes)" },
        { Bytes("{\"w\":", 0), "header is not valid JSON" },
        { Bytes("[1,2]", 0), "the header is a JSON Array, not an object" },
        { Bytes("""{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}""", 4), "tensor 'w' has dtype F16; PathoFed model weights are F32 only" },
        { Bytes("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", 8), "tensor 'w' has no dtype" },
        { Bytes("""{"w":{"dtype":"F32","data_offsets":[0,8]}}""", 8), "tensor 'w' has no shape array" },
        { Bytes("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8), "tensor 'w' shape holds -2, not a non-negative integer" },
        { Bytes("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""", 8), "tensor 'w' data_offsets has 1 values, not 2" },
        { Bytes("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8), "tensor 'w' data_offsets [0, 8] do not hold 3 float32 values of shape [3]" },
        { Bytes("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12), "tensor 'w' data starts at 4, expected 0" },
        { Bytes("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8), "tensor 'b' data starts at 4, expected 8" },
        { Bytes("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 6), "the tensors cover 8 data bytes but the file holds 6 (truncated or padded)" },
        { Bytes("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12), "the tensors cover 8 data bytes but the file holds 12" },
        { Bytes("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}""", 8), "'w' appears twice in the header" },
        { Bytes("""{"__metadata__":{"n":1}}""", 0), "__metadata__ value 'n' is not a string" },
        { Bytes("""{"w":{"dtype":"F32","shape":[100000,100000,100000],"data_offsets":[0,8]}}""", 8), "is too large" },
    };

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void ReadFile_Corrupt_NamesFileAndCause(byte[] bytes, string expected)
    {
        using var temp = new TempFolder();
        string path = temp.File("weights.safetensors");
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<MilException>(() => Safetensors.ReadFile(path));

        Assert.Contains($"Weights file '{path}' is corrupt", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void ReadFile_Missing_NamesFile()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<MilException>(() => Safetensors.ReadFile(temp.File("none.safetensors")));
        Assert.Contains("none.safetensors' cannot be read", error.Message);
    }

    [Theory]
    [InlineData("w", new[] { 2, 2 }, 3, "Tensor 'w' shape [2, 2] needs 4 values but has 3")]
    [InlineData("", new[] { 1 }, 1, "Tensor name '' is empty or reserved")]
    [InlineData("__metadata__", new[] { 1 }, 1, "is empty or reserved")]
    public void Write_MalformedTensor_Refused(string name, int[] shape, int values, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => Safetensors.Write(Stream.Null, [new NamedTensor(name, shape, new float[values])]));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Write_DuplicateNames_Refused()
    {
        var error = Assert.Throws<ArgumentException>(() => Safetensors.Write(Stream.Null, [new NamedTensor("a", [1], [1]), new NamedTensor("a", [1], [2])]));
        Assert.Contains("Tensor name 'a' appears twice", error.Message);
    }

    private static byte[] LengthPrefix(long length)
    {
        var prefix = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(prefix, length);
        return prefix;
    }

    private static byte[] Bytes(string header, int dataBytes) => [.. LengthPrefix(header.Length), .. Encoding.UTF8.GetBytes(header), .. new byte[dataBytes]];
}
