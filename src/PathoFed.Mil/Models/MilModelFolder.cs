using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using PathoFed.Mil.Data;

namespace PathoFed.Mil.Models;

/// <summary>
/// A model folder: <c>weights.safetensors</c>, <c>summary.json</c> (when the model was evaluated) and <c>config.json</c>.
/// Each file is written atomically and config.json last, recording the weights' SHA-256: a folder without config.json
/// is incomplete, and one whose weights were replaced without a new config is detected on read.
/// </summary>
public static class MilModelFolder
{
    public const string ConfigFileName = "config.json";
    public const string WeightsFileName = "weights.safetensors";
    public const string SummaryFileName = "summary.json";
    public const string FormatName = "pathofed-mil-model";

    /// <summary>The config.json layout version; readers refuse other versions rather than guess.</summary>
    public const int FormatVersion = 1;

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // an undefined fold metric is NaN
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        WriteIndented = true,
    };

    /// <summary>Writes (or overwrites) the model folder, creating it when needed.</summary>
    /// <exception cref="ArgumentException">The config is incomplete or inconsistent, or a weight tensor is malformed.</exception>
    public static void Write(string folder, MilModel model)
    {
        model.Config.Validate(nameof(model));
        Directory.CreateDirectory(folder);

        using var weights = new MemoryStream();
        Safetensors.Write(weights, model.Weights, new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["head_kind"] = model.Config.HeadKind,
            ["pathofed_version"] = PathoFedVersion.Current,
        });
        byte[] weightBytes = weights.ToArray();
        AtomicFile.WriteAllBytes(Path.Combine(folder, WeightsFileName), weightBytes);

        string summaryPath = Path.Combine(folder, SummaryFileName);
        if (model.Summary is null) File.Delete(summaryPath); // a summary left from an earlier model would describe the wrong one
        else AtomicFile.WriteAllBytes(summaryPath, JsonSerializer.SerializeToUtf8Bytes(model.Summary, Json));

        MilModelConfig config = model.Config;
        var file = new ConfigFile(FormatName, FormatVersion, PathoFedVersion.Current,
            new HeadSection(config.HeadKind, config.HeadConfig), config.Task, config.ClassNames, config.Features,
            config.Training.ValueKind == JsonValueKind.Undefined ? EmptyObject() : config.Training,
            new WeightsSection(WeightsFileName, Convert.ToHexStringLower(SHA256.HashData(weightBytes))));
        AtomicFile.WriteAllBytes(Path.Combine(folder, ConfigFileName), JsonSerializer.SerializeToUtf8Bytes(file, Json));
    }

    /// <summary>Reads and checks a model folder.</summary>
    /// <exception cref="MilException">
    /// The folder or a file is missing, config.json is malformed or of another format version, or the weights are corrupt or
    /// not the ones config.json was written with; the message names the file.
    /// </exception>
    public static MilModel Read(string folder) => Read(folder, out _);

    /// <summary>
    /// Reads and checks a model folder, and returns in <paramref name="fingerprint"/> the sha256 of config.json's bytes
    /// followed by the weights' bytes: the very bytes the model was parsed from, so it names this model even if the
    /// folder is replaced meanwhile.
    /// </summary>
    /// <exception cref="MilException">As <see cref="Read(string)"/>.</exception>
    public static MilModel Read(string folder, out string fingerprint)
    {
        if (!Directory.Exists(folder)) throw new MilException($"Model folder '{folder}' does not exist");
        string configPath = Path.Combine(folder, ConfigFileName);
        string weightsPath = Path.Combine(folder, WeightsFileName);
        if (!File.Exists(configPath))
        {
            throw new MilException(File.Exists(weightsPath)
                ? $"Model folder '{folder}' has no {ConfigFileName}: it is incomplete (config.json is written last; training was interrupted?); train or copy it again"
                : $"'{folder}' is not a model folder: it has no {ConfigFileName}");
        }
        byte[] configBytes = ReadBytes(configPath);
        ConfigFile config = ReadConfig(configPath, configBytes);
        if (!File.Exists(weightsPath)) throw new MilException($"Model folder '{folder}' has no {WeightsFileName}");

        byte[] weightBytes = ReadBytes(weightsPath);
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            hash.AppendData(configBytes);
            hash.AppendData(weightBytes);
            fingerprint = Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(weightBytes));
        if (!string.Equals(sha256, config.Weights.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new MilException(
                $"Weights file '{weightsPath}' (sha256 {sha256}) is not the one '{configPath}' was written with (sha256 {config.Weights.Sha256}): " +
                "the folder was partly overwritten or edited; write the model again");
        }
        SafetensorsContent weights = Safetensors.Read(weightBytes, weightsPath);

        string summaryPath = Path.Combine(folder, SummaryFileName);
        MilTrainingSummary? summary = File.Exists(summaryPath) ? Deserialize<MilTrainingSummary>(summaryPath, ReadBytes(summaryPath)) : null;

        var modelConfig = new MilModelConfig(config.Head.Kind, config.Head.Config, config.Task, config.ClassNames, config.Features, config.Training);
        try
        {
            modelConfig.Validate("config");
        }
        catch (ArgumentException e)
        {
            throw new MilException($"Model config '{configPath}' is inconsistent: {e.Message}", e);
        }
        return new MilModel(modelConfig, weights.Tensors, summary);
    }

    private static ConfigFile ReadConfig(string path, byte[] bytes)
    {
        // The version is checked before the full parse, so that a newer layout is reported as such and not as a field error.
        int? version = null;
        try
        {
            using JsonDocument document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("format_version", out JsonElement v) && v.TryGetInt32(out int parsed))
            {
                version = parsed;
            }
        }
        catch (JsonException e)
        {
            throw new MilException($"Model config '{path}' is not valid JSON: {e.Message}", e);
        }
        if (version is null) throw new MilException($"Model config '{path}' has no format_version: not a PathoFed model config");
        if (version != FormatVersion)
        {
            string hint = version > FormatVersion ? "written by a newer PathoFed; upgrade to read it" : "written by an older PathoFed; train it again";
            throw new MilException($"Model config '{path}' has format version {version}, this PathoFed reads version {FormatVersion}: {hint}");
        }
        ConfigFile config = Deserialize<ConfigFile>(path, bytes);
        if (config.Format != FormatName) throw new MilException($"Model config '{path}' has format '{config.Format}', expected '{FormatName}'");
        return config;
    }

    private static T Deserialize<T>(string path, byte[] bytes) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(bytes, Json) ?? throw new MilException($"'{path}' holds JSON null");
        }
        catch (JsonException e)
        {
            throw new MilException($"'{path}' is malformed: {e.Message}", e);
        }
    }

    private static byte[] ReadBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MilException($"'{path}' cannot be read: {e.Message}", e);
        }
    }

    private static JsonElement EmptyObject()
    {
        using JsonDocument document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }

    /// <summary>config.json as stored: the public config plus format, version and the weights it was written with.</summary>
    private sealed record ConfigFile(
        string Format,
        int FormatVersion,
        string PathofedVersion,
        HeadSection Head,
        MilTask Task,
        IReadOnlyList<string> ClassNames,
        FeatureOrigin Features,
        JsonElement Training,
        WeightsSection Weights);

    private sealed record HeadSection(string Kind, JsonElement Config);

    private sealed record WeightsSection(string File, string Sha256);
}
