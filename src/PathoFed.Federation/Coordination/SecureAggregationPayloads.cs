using System.Text.Json;
using PathoFed.Federation.SecureAggregation;

namespace PathoFed.Federation.Coordination;

/// <summary>
/// The stages of a secure-aggregation round as <see cref="SiteTask.SecureAggregationStep.Stage"/> and
/// <see cref="SecureAggregationEnvelope.Stage"/> number them. A site answers the coordinator's stage-k step with a
/// stage-k envelope; stage 0 has no step: the Train task starts it.
/// </summary>
public static class SecureAggregationStages
{
    /// <summary>Site → coordinator after training: <see cref="SecureAggregation.AdvertiseKeys"/>.</summary>
    public const int AdvertiseKeys = 0;

    /// <summary>Coordinator → site: <see cref="KeyDirectory"/>; site → coordinator: <see cref="SecureAggregation.ShareKeys"/>.</summary>
    public const int ShareKeys = 1;

    /// <summary>Coordinator → site: <see cref="ShareDelivery"/>; site → coordinator: <see cref="MaskedSubmission"/>.</summary>
    public const int MaskedInput = 2;

    /// <summary>Coordinator → site: <see cref="UnmaskRequest"/>; site → coordinator: <see cref="UnmaskingShares"/>.</summary>
    public const int Unmasking = 3;
}

/// <summary>A site's masked input with its hold-out metrics (federated evaluation); the weight is inside the masked vector.</summary>
public sealed record MaskedSubmission(MaskedInput Input, IReadOnlyDictionary<string, double> Metrics);

/// <summary>The secure-aggregation library's message records as bytes (JSON: plain records of strings, numbers and base64).</summary>
public static class SecureAggregationPayloads
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // A payload from the network missing a member, or with null where the record has none, fails here rather than deep in the protocol.
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        Converters = { new RingVectorConverter() },
    };

    /// <summary>UTF-8 JSON of <paramref name="message"/>.</summary>
    public static byte[] Serialize<T>(T message) => JsonSerializer.SerializeToUtf8Bytes(message, Json);

    /// <summary>The message in <paramref name="payload"/>.</summary>
    /// <exception cref="SecureAggregationException">The payload is not a <typeparamref name="T"/>; the message names <paramref name="source"/>.</exception>
    public static T Deserialize<T>(byte[] payload, string source)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(payload, Json) ?? throw new JsonException("empty payload");
        }
        catch (JsonException e)
        {
            throw new SecureAggregationException($"{source}: the payload is not a {typeof(T).Name} message ({e.Message}).", e);
        }
    }
}

/// <summary>
/// A masked vector (ring elements of Z_2^64) as base64 of its little-endian bytes: 8 bytes per value where decimal JSON
/// takes up to 20 characters, and masked values are uniformly random, so they never print short.
/// </summary>
internal sealed class RingVectorConverter : System.Text.Json.Serialization.JsonConverter<ulong[]>
{
    public override ulong[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var bytes = reader.GetBytesFromBase64();
        if (bytes.Length % sizeof(ulong) != 0) throw new JsonException($"A masked vector of {bytes.Length} bytes is not a whole number of 8-byte values.");
        var values = new ulong[bytes.Length / sizeof(ulong)];
        for (var i = 0; i < values.Length; i++) values[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i * sizeof(ulong)));
        return values;
    }

    public override void Write(Utf8JsonWriter writer, ulong[] value, JsonSerializerOptions options)
    {
        var bytes = new byte[value.Length * sizeof(ulong)];
        for (var i = 0; i < value.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * sizeof(ulong)), value[i]);
        writer.WriteBase64StringValue(bytes);
    }
}
