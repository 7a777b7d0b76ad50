using System.Security.Cryptography;
using PathoFed.Mil;
using PathoFed.Mil.Data;
using PathoFed.Mil.Models;

namespace PathoFed.Federation.Coordination;

/// <summary>Parameters on the wire: safetensors bytes and their SHA-256, the hash both audit logs record.</summary>
public static class ModelBytes
{
    /// <summary>The safetensors bytes of <paramref name="tensors"/> (no metadata, so equal tensors give equal bytes and hashes).</summary>
    public static byte[] Serialize(IReadOnlyList<NamedTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var stream = new MemoryStream();
        Safetensors.Write(stream, tensors);
        return stream.ToArray();
    }

    /// <summary>Lower-case hex SHA-256 of <paramref name="bytes"/>.</summary>
    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The tensors in safetensors <paramref name="bytes"/>.</summary>
    /// <exception cref="FederationException">The bytes are not a readable safetensors file; the message names <paramref name="source"/>.</exception>
    public static IReadOnlyList<NamedTensor> Deserialize(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            return Safetensors.Read(bytes, source).Tensors;
        }
        catch (MilException e)
        {
            throw new FederationException($"{source}: not a readable safetensors file ({e.Message}).", e);
        }
    }
}
