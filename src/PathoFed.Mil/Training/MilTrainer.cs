using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Numerics;

namespace PathoFed.Mil.Training;

/// <summary>Trains MIL heads (centrally, or for a few local epochs of a federated round) and runs them on bags.</summary>
public static class MilTrainer
{
    /// <summary>
    /// Builds a head from <see cref="MilTrainingOptions.Head"/> and trains it with AdamW on minibatches of bags. With a
    /// validation set, each epoch is scored on it, training stops after <see cref="MilTrainingOptions.Patience"/> epochs
    /// without a lower validation loss, and the best epoch's weights are restored.
    /// </summary>
    /// <exception cref="MilException">Bad options, an empty training set, or an unusable example (named by slide).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> fired.</exception>
    public static MilTrainingResult Train(IReadOnlyList<MilExample> train, IReadOnlyList<MilExample>? validation,
        MilTrainingOptions options, IProgress<EpochReport>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var config = options.Head ?? throw new MilException("MIL training options name no head configuration (MilTrainingOptions.Head).");
        config.Validate();
        ValidateExamples(train, config, "training");
        if (validation is { Count: 0 }) validation = null;
        if (validation is not null) ValidateExamples(validation, config, "validation");
        ApplyBlasThreads(options);

        var head = MilHeads.Create(config, options.Seed);
        var session = new TrainingSession(head, options);
        var history = new List<EpochReport>();
        IReadOnlyList<NamedTensor>? bestParameters = null;
        var bestLoss = double.PositiveInfinity;
        var bestEpoch = 0;
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var trainLoss = session.RunEpoch(train, ct);
            double? validationLoss = null;
            double? metric = null;
            if (validation is not null)
            {
                (var loss, metric) = session.Evaluate(validation, ct);
                validationLoss = loss;
                if (loss < bestLoss)
                {
                    bestLoss = loss;
                    bestEpoch = epoch;
                    bestParameters = head.GetParameters();
                }
            }
            else
            {
                bestEpoch = epoch;
            }

            var report = new EpochReport(epoch, trainLoss, validationLoss, metric);
            history.Add(report);
            progress?.Report(report);
            if (validation is not null && options.Patience > 0 && epoch - bestEpoch >= options.Patience) break;
        }

        if (bestParameters is not null) head.SetParameters(bestParameters);
        return new MilTrainingResult(head, history, bestEpoch);
    }

    /// <summary>
    /// Trains <paramref name="head"/> in place from its current parameters for <paramref name="epochs"/> epochs (a federated
    /// site's local update: set the global parameters first). With <see cref="MilTrainingOptions.ProximalMu"/> &gt; 0 the
    /// FedProx term anchors to the parameters the call started from. Vary <see cref="MilTrainingOptions.Seed"/> per round
    /// for fresh shuffles. <see cref="MilTrainingOptions.Head"/> is ignored.
    /// </summary>
    /// <param name="optimizer">
    /// An AdamW from <see cref="CreateOptimizer"/> for this head, kept by the caller so that its moments carry over from one
    /// call (round) to the next, as they do across the epochs of centralised training; null starts a fresh AdamW, whose
    /// first steps are ±learning rate on every coordinate whatever the gradient's size.
    /// </param>
    /// <exception cref="MilException">Bad options, no examples, an unusable example (named by slide), or an optimiser for another head.</exception>
    public static MilLocalUpdate TrainEpochs(IMilHead head, IReadOnlyList<MilExample> examples, int epochs,
        MilTrainingOptions options, CancellationToken ct = default, AdamW? optimizer = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        options.Validate();
        ValidateExamples(examples, head.Config, "training");
        ApplyBlasThreads(options);

        if (optimizer is not null && !optimizer.Optimises(head.Parameters))
            throw new MilException("The optimiser given to TrainEpochs was created for another head's parameters.");
        var session = new TrainingSession(head, options, optimizer);
        var history = new EpochReport[epochs];
        for (var epoch = 1; epoch <= epochs; epoch++) history[epoch - 1] = new EpochReport(epoch, session.RunEpoch(examples, ct), null, null);
        return new MilLocalUpdate(head.GetParameters(), examples.Count, history);
    }

    /// <summary>An AdamW over <paramref name="head"/>'s parameters with <paramref name="options"/>' settings, for <see cref="TrainEpochs"/> calls that keep its state.</summary>
    public static AdamW CreateOptimizer(IMilHead head, MilTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return TrainingSession.CreateOptimizer(head, options);
    }

    /// <summary>Runs <paramref name="head"/> on a whole bag (no dropout): class probabilities or risk, plus per-instance scores.</summary>
    /// <exception cref="MilException">The bag is empty, of the wrong width, or not finite; the message names the slide.</exception>
    public static MilPrediction Predict(IMilHead head, MilBag bag)
    {
        ArgumentNullException.ThrowIfNull(head);
        var output = head.Forward(bag);
        var scores = output.InstanceScores.ToArray();
        if (head.Config.Task == MilTask.Survival) return new MilPrediction(bag.SlideId, [], output.Outputs[0], scores);
        var probabilities = new float[output.Outputs.Length];
        System.Numerics.Tensors.TensorPrimitives.SoftMax(output.Outputs, probabilities);
        return new MilPrediction(bag.SlideId, probabilities, null, scores);
    }

    private static void ApplyBlasThreads(MilTrainingOptions options)
    {
        if (options.BlasThreads > 0) Blas.ThreadCount = options.BlasThreads;
    }

    /// <summary>Fails before the first epoch, naming the slide, rather than mid-run.</summary>
    private static void ValidateExamples(IReadOnlyList<MilExample> examples, MilHeadConfig config, string role)
    {
        if (examples.Count == 0) throw new MilException($"The {role} set has no examples.");
        foreach (var example in examples)
        {
            var bag = example.Bag;
            var context = $" ({role} set)";
            BagChecks.Validate(bag.SlideId, BagChecks.Instances(bag, context).Span, bag.InstanceCount, bag.Dim, config, context);

            var target = example.Target;
            if (config.Task == MilTask.Classify && (target.ClassIndex < 0 || target.ClassIndex >= config.ClassCount))
                throw new MilException($"Slide {bag.SlideId}{context}: class {target.ClassIndex} is outside 0..{config.ClassCount - 1}.");
            if (config.Task == MilTask.Survival && !(target.Time >= 0 && double.IsFinite(target.Time)))
                throw new MilException($"Slide {bag.SlideId}{context}: survival time {target.Time} must be finite and not negative.");
        }
    }
}
