using System.Text.Json;
using System.Text.Json.Serialization;

namespace PathoFed.Federation.Coordination;

/// <summary>
/// <c>state.json</c> in the coordinator's state folder: the last finished round, where its checkpoint lies, the
/// strategy's server state (base64 safetensors), the round history and the audit log's head when it was written.
/// Written atomically after the round's checkpoint, so it never names a checkpoint that is not complete.
/// </summary>
internal sealed record CoordinatorStateFile(
    string Format,
    int Version,
    string Federation,
    int LastFinishedRound,
    string Checkpoint,
    string GlobalSha256,
    string Strategy,
    string StrategyState,
    IReadOnlyList<RoundRecord> History,
    string? AuditAnchor)
{
    public const string FileName = "state.json";
    public const string FormatName = "pathofed-coordinator-state";
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public void Write(string stateFolder) =>
        AtomicFile.WriteAllBytes(Path.Combine(stateFolder, FileName), JsonSerializer.SerializeToUtf8Bytes(this, Json));

    /// <summary>The state in <paramref name="stateFolder"/>, or null when no round has finished there yet.</summary>
    /// <exception cref="FederationException">The file is unreadable or of another format.</exception>
    public static CoordinatorStateFile? Read(string stateFolder)
    {
        var path = Path.Combine(stateFolder, FileName);
        if (!File.Exists(path)) return null;
        CoordinatorStateFile? state;
        try
        {
            state = JsonSerializer.Deserialize<CoordinatorStateFile>(File.ReadAllBytes(path), Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new FederationException($"Coordinator state '{path}' cannot be read: {e.Message}", e);
        }

        if (state is null || state.Format != FormatName || state.Version != CurrentVersion)
        {
            throw new FederationException($"Coordinator state '{path}' is not a {FormatName} file of version {CurrentVersion}.");
        }

        return state;
    }
}
