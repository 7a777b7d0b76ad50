using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PathoFed.Slides.Patching;
using PathoFed.Slides.Tissue;

namespace PathoFed.Slides.Tiling;

/// <summary>Everything that decides a slide's tiling outputs; its fingerprint tells a resumed job which slides are already done.</summary>
public sealed record TilingSettings(PatchGridOptions Grid, TissueDetectionOptions Tissue)
{
    public static TilingSettings Default { get; } = new(PatchGridOptions.Default, TissueDetectionOptions.Default);

    /// <summary>Bump when the outputs' format or meaning changes, so that older outputs are redone.</summary>
    private const int FormatVersion = 1;

    /// <summary>SHA-256 over the settings, the µm/px override and the slide file's size and modification time.</summary>
    public string FingerprintFor(SlideSource source)
    {
        var file = new FileInfo(source.Path);
        var payload = new
        {
            FormatVersion,
            Grid,
            Tissue,
            source.MppOverride,
            source.MppFallback,
            Length = file.Exists ? file.Length : -1,
            Modified = file.Exists ? file.LastWriteTimeUtc.Ticks : -1,
        };
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(payload)));
        return Convert.ToHexStringLower(hash);
    }
}
