using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using PathoFed.Mil.Data;

namespace PathoFed.Mil.Models;

/// <summary>The tensors of a safetensors file, in data order, and its <c>__metadata__</c> strings.</summary>
public sealed record SafetensorsContent(IReadOnlyList<NamedTensor> Tensors, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// The safetensors format (Hugging Face), float32 only: an 8-byte little-endian header length, a JSON header mapping
/// each tensor name to <c>{"dtype":"F32","shape":[...],"data_offsets":[begin,end]}</c> plus optional
/// <c>"__metadata__"</c> strings, padded with spaces to a multiple of 8 bytes, then the raw little-endian data.
/// PyTorch, numpy and the <c>safetensors</c> Python package read what this writes.
/// </summary>
public static class Safetensors
{
    public const string MetadataKey = "__metadata__";
    public const string Float32 = "F32";

    /// <summary>The reference implementation refuses headers over 100 MB; so do we, before allocating.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Writes the tensors in the given order, data contiguous from offset 0.</summary>
    /// <exception cref="ArgumentException">A name is empty, reserved or repeated, or a shape does not match its values.</exception>
    public static void Write(Stream stream, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        byte[] header = Header(tensors, metadata);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        byte[] buffer = new byte[64 * 1024];
        foreach (NamedTensor tensor in tensors)
        {
            // Little-endian element by element: explicit about the byte order the format fixes, and chunked to bound memory.
            for (int start = 0; start < tensor.Values.Length; start += buffer.Length / 4)
            {
                int count = Math.Min(buffer.Length / 4, tensor.Values.Length - start);
                for (int i = 0; i < count; i++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), tensor.Values[start + i]);
                stream.Write(buffer, 0, count * 4);
            }
        }
    }

    /// <summary>Writes a file atomically (temporary sibling, then rename).</summary>
    public static void WriteFile(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata));

    /// <exception cref="MilException">The file is missing, unreadable or not a valid float32 safetensors file; the message names it.</exception>
    public static SafetensorsContent ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MilException($"Weights file '{path}' cannot be read: {e.Message}", e);
        }
        return Read(bytes, path);
    }

    /// <summary>Parses and validates a whole file's bytes; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="MilException">Not a valid float32 safetensors file: header size, JSON, dtype, shapes or offsets.</exception>
    public static SafetensorsContent Read(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 8) throw Corrupt(source, $"{bytes.Length} bytes is too short to hold the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes || headerLength > (ulong)(bytes.Length - 8))
        {
            throw Corrupt(source, $"header length {headerLength} exceeds the file ({bytes.Length} bytes) or the {MaxHeaderBytes}-byte limit");
        }
        ReadOnlySpan<byte> data = bytes[(8 + (int)headerLength)..];
        List<TensorEntry> entries;
        Dictionary<string, string> metadata;
        try
        {
            using JsonDocument document = JsonDocument.Parse(bytes.Slice(8, (int)headerLength).ToArray());
            (entries, metadata) = ParseHeader(document.RootElement, source);
        }
        catch (JsonException e)
        {
            throw new MilException($"Weights file '{source}' is corrupt: its header is not valid JSON ({e.Message})", e);
        }

        entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        long expectedBegin = 0;
        foreach (TensorEntry entry in entries)
        {
            if (entry.Begin != expectedBegin)
            {
                throw Corrupt(source, $"tensor '{entry.Name}' data starts at {entry.Begin}, expected {expectedBegin}: data must be contiguous without gaps or overlaps");
            }
            expectedBegin = entry.End;
        }
        if (expectedBegin != data.Length)
        {
            throw Corrupt(source, $"the tensors cover {expectedBegin} data bytes but the file holds {data.Length} (truncated or padded)");
        }

        var tensors = new NamedTensor[entries.Count];
        for (int t = 0; t < entries.Count; t++)
        {
            TensorEntry entry = entries[t];
            ReadOnlySpan<byte> raw = data[(int)entry.Begin..(int)entry.End];
            var values = new float[raw.Length / 4];
            for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
            tensors[t] = new NamedTensor(entry.Name, entry.Shape, values);
        }
        return new SafetensorsContent(tensors, metadata);
    }

    private static (List<TensorEntry> Entries, Dictionary<string, string> Metadata) ParseHeader(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Corrupt(source, $"the header is a JSON {root.ValueKind}, not an object");
        var entries = new List<TensorEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in root.EnumerateObject())
        {
            if (!names.Add(property.Name)) throw Corrupt(source, $"'{property.Name}' appears twice in the header");
            if (property.Name == MetadataKey)
            {
                if (property.Value.ValueKind != JsonValueKind.Object) throw Corrupt(source, $"{MetadataKey} is not an object");
                foreach (JsonProperty item in property.Value.EnumerateObject())
                {
                    metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String
                        ? item.Value.GetString()!
                        : throw Corrupt(source, $"{MetadataKey} value '{item.Name}' is not a string");
                }
                continue;
            }
            entries.Add(ParseEntry(property.Name, property.Value, source));
        }
        return (entries, metadata);
    }

    private static TensorEntry ParseEntry(string name, JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Corrupt(source, $"tensor '{name}' is not a JSON object");
        string dtype = value.TryGetProperty("dtype", out JsonElement d) && d.ValueKind == JsonValueKind.String
            ? d.GetString()!
            : throw Corrupt(source, $"tensor '{name}' has no dtype");
        if (dtype != Float32)
        {
            throw Corrupt(source, $"tensor '{name}' has dtype {dtype}; PathoFed model weights are {Float32} only (convert with tensor.float() before saving)");
        }
        long[] shape = NonNegativeIntegers(value, "shape", name, source, expectedCount: null);
        long[] offsets = NonNegativeIntegers(value, "data_offsets", name, source, expectedCount: 2);
        long elements = 1;
        foreach (long dim in shape)
        {
            if (dim > int.MaxValue || (elements = elements * dim) > int.MaxValue / 4) throw Corrupt(source, $"tensor '{name}' shape [{string.Join(", ", shape)}] is too large");
        }
        if (offsets[1] < offsets[0] || offsets[1] - offsets[0] != elements * 4)
        {
            throw Corrupt(source, $"tensor '{name}' data_offsets [{offsets[0]}, {offsets[1]}] do not hold {elements} float32 values of shape [{string.Join(", ", shape)}]");
        }
        return new TensorEntry(name, shape.Select(s => (int)s).ToArray(), offsets[0], offsets[1]);
    }

    private static long[] NonNegativeIntegers(JsonElement tensor, string field, string name, string source, int? expectedCount)
    {
        if (!tensor.TryGetProperty(field, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
        {
            throw Corrupt(source, $"tensor '{name}' has no {field} array");
        }
        long[] values = array.EnumerateArray()
            .Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) && v >= 0
                ? v
                : throw Corrupt(source, $"tensor '{name}' {field} holds {e.GetRawText()}, not a non-negative integer"))
            .ToArray();
        if (expectedCount is int count && values.Length != count) throw Corrupt(source, $"tensor '{name}' {field} has {values.Length} values, not {count}");
        return values;
    }

    private static byte[] Header(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach ((string key, string value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            var names = new HashSet<string>(StringComparer.Ordinal);
            long offset = 0;
            foreach (NamedTensor tensor in tensors)
            {
                RequireWritable(tensor, names);
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", Float32);
                writer.WriteStartArray("shape");
                foreach (int dim in tensor.Shape) writer.WriteNumberValue(dim);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset += 4L * tensor.Values.Length);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        // Spaces pad the header so that the data starts 8-byte aligned, as the reference writer does.
        int padded = (int)((json.Length + 7) / 8 * 8);
        byte[] header = Enumerable.Repeat((byte)' ', padded).ToArray();
        json.GetBuffer().AsSpan(0, (int)json.Length).CopyTo(header);
        return header;
    }

    private static void RequireWritable(NamedTensor tensor, HashSet<string> names)
    {
        if (string.IsNullOrEmpty(tensor.Name) || tensor.Name == MetadataKey)
        {
            throw new ArgumentException($"Tensor name '{tensor.Name}' is empty or reserved", nameof(tensor));
        }
        if (!names.Add(tensor.Name)) throw new ArgumentException($"Tensor name '{tensor.Name}' appears twice", nameof(tensor));
        long elements = 1;
        foreach (int dim in tensor.Shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(dim, $"{tensor.Name} shape");
            elements *= dim;
        }
        if (elements != tensor.Values.Length)
        {
            throw new ArgumentException(
                $"Tensor '{tensor.Name}' shape [{string.Join(", ", tensor.Shape)}] needs {elements} values but has {tensor.Values.Length}", nameof(tensor));
        }
    }

    private static MilException Corrupt(string source, string cause) => new($"Weights file '{source}' is corrupt: {cause}");

    private sealed record TensorEntry(string Name, int[] Shape, long Begin, long End);
}
