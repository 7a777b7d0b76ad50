using System.Buffers.Binary;
using System.Runtime.InteropServices;
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

/// <summary>
/// The secure-aggregation library's message records as bytes: UTF-8 JSON (plain records of strings, numbers and base64)
/// for the small protocol messages, and a binary frame for the masked input, which is as large as the model.
/// </summary>
public static class SecureAggregationPayloads
{
    // "PFM1": a masked submission frame, version 1.
    private static ReadOnlySpan<byte> MaskedMagic => "PFM1"u8;
    private const int MaskedHeaderOffset = 8;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // A payload from the network missing a member, or with null where the record has none, fails here rather than deep in the protocol.
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
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

    /// <summary>
    /// The masked input as "PFM1", the length of a JSON header (site, metrics) as a little-endian int32, the header, then
    /// the ring elements as little-endian 64-bit words: 8 bytes per value, where base64 inside JSON would take 10.7.
    /// </summary>
    public static byte[] SerializeMasked(MaskedSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var header = JsonSerializer.SerializeToUtf8Bytes(new MaskedHeader(submission.Input.Site, submission.Metrics), Json);
        var values = submission.Input.Values;
        var payload = new byte[checked(MaskedHeaderOffset + header.Length + values.Length * sizeof(ulong))];
        MaskedMagic.CopyTo(payload);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(MaskedMagic.Length), header.Length);
        header.CopyTo(payload, MaskedHeaderOffset);
        var words = payload.AsSpan(MaskedHeaderOffset + header.Length);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(words);
        }
        else
        {
            for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(words[(i * sizeof(ulong))..], values[i]);
        }

        return payload;
    }

    /// <summary>The masked submission in a <see cref="SerializeMasked"/> frame.</summary>
    /// <exception cref="SecureAggregationException">The frame is malformed; the message names <paramref name="source"/> and what is wrong.</exception>
    public static MaskedSubmission DeserializeMasked(byte[] payload, string source)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Length < MaskedHeaderOffset || !payload.AsSpan(0, MaskedMagic.Length).SequenceEqual(MaskedMagic))
        {
            throw new SecureAggregationException($"{source}: the payload is not a masked-input frame (it does not start with 'PFM1').");
        }

        var headerLength = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(MaskedMagic.Length));
        if (headerLength < 0 || headerLength > payload.Length - MaskedHeaderOffset)
        {
            throw new SecureAggregationException($"{source}: the masked-input header claims {headerLength} bytes; the frame holds {payload.Length - MaskedHeaderOffset}.");
        }

        var words = payload.AsSpan(MaskedHeaderOffset + headerLength);
        if (words.Length % sizeof(ulong) != 0)
        {
            throw new SecureAggregationException($"{source}: the masked vector of {words.Length} bytes is not a whole number of 8-byte values.");
        }

        MaskedHeader header;
        try
        {
            header = JsonSerializer.Deserialize<MaskedHeader>(payload.AsSpan(MaskedHeaderOffset, headerLength), Json) ?? throw new JsonException("empty header");
        }
        catch (JsonException e)
        {
            throw new SecureAggregationException($"{source}: the masked-input header is not valid ({e.Message}).", e);
        }

        var values = new ulong[words.Length / sizeof(ulong)];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadUInt64LittleEndian(words[(i * sizeof(ulong))..]);
        return new MaskedSubmission(new MaskedInput(header.Site, values), header.Metrics);
    }

    private sealed record MaskedHeader(string Site, IReadOnlyDictionary<string, double> Metrics);
}
