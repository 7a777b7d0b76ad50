using System.Numerics.Tensors;
using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Numerics;

namespace PathoFed.Mil.Training;

/// <summary>
/// The mutable core of one training run: optimiser state, the shuffling random source and the reused buffers. Every random
/// choice comes from one seeded source in a fixed order, so a run is a function of its seed.
/// </summary>
internal sealed class TrainingSession
{
    private readonly IMilHead _head;
    private readonly MilTrainingOptions _options;
    private readonly MilLoss _loss;
    private readonly AdamW _optimizer;
    private readonly Random _rng;
    private readonly float[][]? _proximalAnchor;
    private readonly int _outputCount;
    private readonly GrowableBuffer<int> _order = new();
    private readonly GrowableBuffer<int> _instanceIndices = new();
    private readonly GrowableBuffer<float> _subset = new();
    private readonly int[] _bagSeeds;
    private readonly MilTarget[] _batchTargets;
    private readonly float[] _batchOutputs;
    private readonly float[] _batchGradients;

    /// <param name="optimizer">An AdamW over <paramref name="head"/>'s parameters whose moments carry over from earlier calls; null for a fresh one.</param>
    public TrainingSession(IMilHead head, MilTrainingOptions options, AdamW? optimizer = null)
    {
        _head = head;
        _options = options;
        var config = head.Config;
        _outputCount = config.OutputCount;
        _loss = MilLoss.For(config.Task, config.ClassCount, options.ClassWeights);
        _optimizer = optimizer ?? CreateOptimizer(head, options);
        // A stream apart from weight initialisation's (which uses Seed itself), so changing the head does not reshuffle data.
        _rng = new Random(unchecked(options.Seed * 31 + 17));
        if (options.ProximalMu > 0f)
        {
            _proximalAnchor = new float[head.Parameters.Count][];
            for (var p = 0; p < _proximalAnchor.Length; p++) _proximalAnchor[p] = (float[])head.Parameters[p].Values.Clone();
        }

        _bagSeeds = new int[options.BatchSize];
        _batchTargets = new MilTarget[options.BatchSize];
        _batchOutputs = new float[options.BatchSize * _outputCount];
        _batchGradients = new float[options.BatchSize * _outputCount];
    }

    /// <summary>The AdamW these options describe, over <paramref name="head"/>'s parameters.</summary>
    public static AdamW CreateOptimizer(IMilHead head, MilTrainingOptions options) =>
        new(head.Parameters, options.LearningRate, options.WeightDecay, options.Beta1, options.Beta2, options.Epsilon);

    /// <summary>One pass over <paramref name="examples"/> in a fresh random order; returns the mean batch loss.</summary>
    public double RunEpoch(IReadOnlyList<MilExample> examples, CancellationToken ct)
    {
        var order = _order.Take(examples.Count);
        for (var i = 0; i < order.Length; i++) order[i] = i;
        _rng.Shuffle(order);

        double lossSum = 0;
        var batches = 0;
        for (var start = 0; start < examples.Count; start += _options.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            var count = Math.Min(_options.BatchSize, examples.Count - start);
            for (var b = 0; b < count; b++)
            {
                _bagSeeds[b] = _rng.Next();
                _batchTargets[b] = examples[order[start + b]].Target;
            }

            _head.ZeroGradients();
            var batch = order.Slice(start, count);
            lossSum += _loss.CouplesBags ? CoupledBatch(examples, batch, ct) : PerBagBatch(examples, batch, ct);
            batches++;
            Step();
        }

        return batches == 0 ? 0 : lossSum / batches;
    }

    /// <summary>Loss over all of <paramref name="examples"/> at once (whole bags, no dropout) and the task's ranking metric.</summary>
    public (double Loss, double? Metric) Evaluate(IReadOnlyList<MilExample> examples, CancellationToken ct)
    {
        var outputs = new float[examples.Count * _outputCount];
        var targets = new MilTarget[examples.Count];
        for (var i = 0; i < examples.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            _head.Forward(examples[i].Bag).Outputs.CopyTo(outputs.AsSpan(i * _outputCount));
            targets[i] = examples[i].Target;
        }

        var loss = _loss.Compute(outputs, targets, new float[outputs.Length]);
        return (loss, Metric(outputs, targets));
    }

    private double? Metric(float[] outputs, MilTarget[] targets)
    {
        if (_head.Config.Task == MilTask.Survival) return Finite(RankMetrics.ConcordanceIndex(outputs, targets));
        if (_outputCount != 2) return null;
        // Softmax is monotone in logit₁ − logit₀, so the margin ranks bags as P(class 1) does.
        var margins = new float[targets.Length];
        var positive = new bool[targets.Length];
        for (var i = 0; i < targets.Length; i++)
        {
            margins[i] = outputs[2 * i + 1] - outputs[2 * i];
            positive[i] = targets[i].ClassIndex == 1;
        }

        return Finite(RankMetrics.Auc(margins, positive));
    }

    private static double? Finite(double value) => double.IsNaN(value) ? null : value;

    /// <summary>Each bag's gradient is known after its own forward pass: one forward and one backward per bag.</summary>
    private double PerBagBatch(IReadOnlyList<MilExample> examples, ReadOnlySpan<int> batch, CancellationToken ct)
    {
        var loss = 0.0;
        var gradient = _batchGradients.AsSpan(0, _outputCount);
        for (var b = 0; b < batch.Length; b++)
        {
            ct.ThrowIfCancellationRequested();
            var output = ForwardForTraining(examples[batch[b]].Bag, _bagSeeds[b]);
            loss += _loss.Compute(output.Outputs, _batchTargets.AsSpan(b, 1), gradient);
            // The loss is a mean over the batch: each bag's share is 1/B.
            TensorPrimitives.Multiply(gradient, 1f / batch.Length, gradient);
            _head.Backward(gradient);
        }

        return loss / batch.Length;
    }

    /// <summary>
    /// Cox couples bags, so every risk is needed before any gradient: a forward pass over the batch, the loss, then per bag
    /// the same forward again (same seed, so same subset and dropout mask) and its backward. Recomputing costs one extra
    /// forward but keeps one bag's activations in memory instead of a whole batch's.
    /// </summary>
    private double CoupledBatch(IReadOnlyList<MilExample> examples, ReadOnlySpan<int> batch, CancellationToken ct)
    {
        var outputs = _batchOutputs.AsSpan(0, batch.Length * _outputCount);
        var gradients = _batchGradients.AsSpan(0, outputs.Length);
        for (var b = 0; b < batch.Length; b++)
        {
            ct.ThrowIfCancellationRequested();
            ForwardForTraining(examples[batch[b]].Bag, _bagSeeds[b]).Outputs.CopyTo(outputs[(b * _outputCount)..]);
        }

        var loss = _loss.Compute(outputs, _batchTargets.AsSpan(0, batch.Length), gradients);
        for (var b = 0; b < batch.Length; b++)
        {
            ct.ThrowIfCancellationRequested();
            ForwardForTraining(examples[batch[b]].Bag, _bagSeeds[b]);
            _head.Backward(gradients.Slice(b * _outputCount, _outputCount));
        }

        return loss;
    }

    private MilHeadOutput ForwardForTraining(MilBag bag, int bagSeed)
    {
        var rng = new Random(bagSeed);
        var (instances, count) = SampleInstances(bag, rng);
        return _head.Forward(bag.SlideId, instances, count, training: true, rng);
    }

    /// <summary>The whole bag, or a random subset of MaxInstancesPerBag instances kept in their original order.</summary>
    private (ReadOnlyMemory<float> Instances, int Count) SampleInstances(MilBag bag, Random rng)
    {
        var n = bag.InstanceCount;
        var dim = bag.Dim;
        var cap = _options.MaxInstancesPerBag;
        if (cap == 0 || n <= cap) return (bag.Instances.AsMemory(0, n * dim), n);

        var indices = _instanceIndices.Take(n);
        for (var i = 0; i < n; i++) indices[i] = i;
        for (var i = 0; i < cap; i++)
        {
            var j = rng.Next(i, n);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }

        var chosen = indices[..cap];
        chosen.Sort();
        var subset = _subset.Take(cap * dim);
        for (var k = 0; k < cap; k++) bag.Instance(chosen[k]).CopyTo(subset.Slice(k * dim, dim));
        return (_subset.Array.AsMemory(0, cap * dim), cap);
    }

    private void Step()
    {
        var parameters = _head.Parameters;
        if (_proximalAnchor is not null)
        {
            // FedProx: the gradient of μ/2‖w − w₀‖² is μ(w − w₀), added before clipping like any other gradient.
            for (var p = 0; p < parameters.Count; p++)
            {
                var values = parameters[p].Values;
                var gradients = parameters[p].Gradients;
                var anchor = _proximalAnchor[p];
                for (var i = 0; i < values.Length; i++) gradients[i] += _options.ProximalMu * (values[i] - anchor[i]);
            }
        }

        if (_options.MaxGradientNorm > 0f) GradientClipping.ClipGlobalNorm(parameters, _options.MaxGradientNorm);
        _optimizer.Step();
    }
}
