using System.Text.Json;
using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Models;
using PathoFed.Mil.Training;

namespace PathoFed.Mil.Experiments;

/// <summary>A model folder brought to life: the head with its weights, the classes and the features it accepts.</summary>
public sealed class TrainedHead
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private TrainedHead(MilModel model, IMilHead head, string name, string sha256) => (Model, Head, Name, Sha256) = (model, head, name, sha256);

    public MilModel Model { get; }

    public IMilHead Head { get; }

    /// <summary>How scores name the model: its folder's name.</summary>
    public string Name { get; }

    /// <summary>sha256 of the folder's configuration and weights: which model this is, whatever its folder is called.</summary>
    public string Sha256 { get; }

    /// <exception cref="MilException">The folder is not a readable model, or its weights do not fit its head.</exception>
    public static TrainedHead Load(string folder)
    {
        MilModel model = MilModelFolder.Read(folder, out string sha256);
        MilHeadConfig config;
        try
        {
            config = model.Config.HeadConfig.Deserialize<MilHeadConfig>(Json) ?? throw new JsonException("empty head config");
        }
        catch (JsonException e)
        {
            throw new MilException($"Model folder '{folder}': the head configuration in {MilModelFolder.ConfigFileName} cannot be read: {e.Message}", e);
        }
        IMilHead head = MilHeads.Create(config, seed: 0);
        head.SetParameters(model.Weights);
        return new TrainedHead(model, head, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))), sha256);
    }

    /// <summary>The model folder content for a trained head.</summary>
    public static MilModel ToModel(IMilHead head, IReadOnlyList<string> classNames, FeatureOrigin features, object trainingSettings, MilTrainingSummary? summary) =>
        new(new MilModelConfig(
                head.Config.Kind.ToString().ToLowerInvariant(),
                JsonSerializer.SerializeToElement(head.Config, Json),
                head.Config.Task,
                head.Config.Task == MilTask.Classify ? classNames : [],
                features,
                JsonSerializer.SerializeToElement(trainingSettings, Json)),
            head.GetParameters(),
            summary);

    /// <exception cref="MilException">The bag comes from another extractor, or is unusable.</exception>
    public MilPrediction Predict(MilBag bag, FeatureOrigin origin)
    {
        Model.Config.EnsureCompatible(origin);
        return MilTrainer.Predict(Head, bag);
    }
}
