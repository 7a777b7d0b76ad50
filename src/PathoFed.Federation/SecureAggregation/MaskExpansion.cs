using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace PathoFed.Federation.SecureAggregation;

/// <summary>
/// The PRG: a 32-byte seed keys AES-256 in counter mode (ECB over counter blocks 0, 1, 2...), and each 16-byte block
/// gives two little-endian 64-bit mask words. Masks are added or subtracted in Z_2^64, where wrap-around is the point.
/// </summary>
internal static class MaskExpansion
{
    public const int SeedBytes = 32;
    private const int BlocksPerChunk = 2048;
    private const int WordsPerBlock = 2;

    /// <summary>vector ± PRG(seed), element-wise modulo 2^64.</summary>
    public static void Apply(ReadOnlySpan<byte> seed, Span<ulong> vector, bool subtract)
    {
        using var aes = Aes.Create();
        aes.Key = seed.ToArray();
        var counters = new byte[BlocksPerChunk * 16];
        var keystream = new byte[BlocksPerChunk * 16];
        ulong block = 0;
        for (var offset = 0; offset < vector.Length; offset += BlocksPerChunk * WordsPerBlock)
        {
            var words = Math.Min(BlocksPerChunk * WordsPerBlock, vector.Length - offset);
            var blocks = (words + WordsPerBlock - 1) / WordsPerBlock;
            for (var b = 0; b < blocks; b++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(counters.AsSpan(b * 16), block++);
            }

            aes.EncryptEcb(counters.AsSpan(0, blocks * 16), keystream.AsSpan(0, blocks * 16), PaddingMode.None);
            var mask = MemoryMarshal.Cast<byte, ulong>(keystream.AsSpan(0, words * sizeof(ulong)));
            if (!BitConverter.IsLittleEndian)
            {
                // Both ends must read the same words; the reference byte order is little-endian.
                BinaryPrimitives.ReverseEndianness(mask, mask);
            }

            var target = vector.Slice(offset, words);
            if (subtract)
            {
                TensorPrimitives.Subtract(target, mask, target);
            }
            else
            {
                TensorPrimitives.Add(target, mask, target);
            }
        }
    }
}
