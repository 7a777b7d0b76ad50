using PathoFed.Mil.Data;

namespace PathoFed.Mil.Training;

/// <summary>A loss over a batch of bags' head outputs (row-major, one row of OutputCount values per bag).</summary>
public abstract class MilLoss
{
    private protected MilLoss()
    {
    }

    /// <summary>
    /// False when the loss is a mean of per-bag terms, so each bag's gradient is known right after its own forward pass.
    /// True when bags interact (Cox: each risk set spans the batch), so the trainer needs every output first.
    /// </summary>
    public abstract bool CouplesBags { get; }

    /// <summary>Returns the loss and writes its gradient with respect to every output into <paramref name="outputGradients"/>.</summary>
    /// <param name="outputs">Batch size x output count.</param>
    /// <param name="targets">One per bag.</param>
    /// <param name="outputGradients">Same shape as <paramref name="outputs"/>; overwritten.</param>
    public abstract double Compute(ReadOnlySpan<float> outputs, ReadOnlySpan<MilTarget> targets, Span<float> outputGradients);

    /// <summary>The loss a task trains with: class-weighted cross-entropy, or Cox partial likelihood (Breslow ties).</summary>
    public static MilLoss For(MilTask task, int classCount, IReadOnlyList<float>? classWeights = null) => task switch
    {
        MilTask.Classify => new SoftmaxCrossEntropyLoss(classCount, classWeights),
        MilTask.Survival => new CoxPartialLikelihoodLoss(),
        _ => throw new MilException($"Unknown MIL task {task}."),
    };
}

/// <summary>
/// Softmax cross-entropy, each bag weighted by its class's weight, averaged over the bags of the batch:
/// L = (1/B) Σ_b w_{y_b} · (−log softmax(o_b)_{y_b}). Averaging by B rather than Σw keeps the loss a plain mean of
/// per-bag terms (so no batch-wide pass is needed); with weights that average 1 over the data the two agree in expectation.
/// </summary>
public sealed class SoftmaxCrossEntropyLoss : MilLoss
{
    private readonly int _classCount;
    private readonly float[] _weights;

    /// <param name="classCount">Logits per bag.</param>
    /// <param name="classWeights">One weight per class; null for all 1.</param>
    public SoftmaxCrossEntropyLoss(int classCount, IReadOnlyList<float>? classWeights = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        _classCount = classCount;
        _weights = new float[classCount];
        if (classWeights is null)
        {
            Array.Fill(_weights, 1f);
            return;
        }

        if (classWeights.Count != classCount)
            throw new MilException($"{classWeights.Count} class weights were given for {classCount} classes.");
        for (var k = 0; k < classCount; k++)
        {
            if (!(classWeights[k] >= 0f) || !float.IsFinite(classWeights[k]))
                throw new MilException($"Class weight {k} is {classWeights[k]}; weights must be finite and not negative.");
            _weights[k] = classWeights[k];
        }
    }

    public override bool CouplesBags => false;

    public override double Compute(ReadOnlySpan<float> outputs, ReadOnlySpan<MilTarget> targets, Span<float> outputGradients)
    {
        var k = _classCount;
        var bags = targets.Length;
        if (outputs.Length != bags * k || outputGradients.Length != outputs.Length)
            throw new ArgumentException($"{outputs.Length} outputs and {outputGradients.Length} gradients do not fit {bags} bags of {k} classes.");
        if (bags == 0) return 0;

        var total = 0.0;
        for (var b = 0; b < bags; b++)
        {
            var logits = outputs.Slice(b * k, k);
            var gradient = outputGradients.Slice(b * k, k);
            var target = targets[b].ClassIndex;
            if ((uint)target >= (uint)k) throw new ArgumentException($"Class index {target} is outside 0..{k - 1}.", nameof(targets));

            var max = double.NegativeInfinity;
            foreach (var logit in logits) max = Math.Max(max, logit);
            var sum = 0.0;
            for (var c = 0; c < k; c++) sum += Math.Exp(logits[c] - max);
            var logSum = max + Math.Log(sum);
            var weight = _weights[target];
            total += weight * (logSum - logits[target]);
            for (var c = 0; c < k; c++)
            {
                var probability = Math.Exp(logits[c] - logSum);
                gradient[c] = (float)(weight * (probability - (c == target ? 1.0 : 0.0)) / bags);
            }
        }

        return total / bags;
    }
}

/// <summary>
/// Negative Cox partial log-likelihood with Breslow's handling of ties, averaged over the events of the batch:
/// L = −(1/E) Σ_{i: event} [ r_i − log Σ_{j: t_j ≥ t_i} exp(r_j) ]. Tied times share one risk set (every bag still at risk at
/// t_i, the tied ones included). A batch without events has loss 0 and no gradient.
/// </summary>
public sealed class CoxPartialLikelihoodLoss : MilLoss
{
    public override bool CouplesBags => true;

    public override double Compute(ReadOnlySpan<float> outputs, ReadOnlySpan<MilTarget> targets, Span<float> outputGradients)
    {
        var bags = targets.Length;
        if (outputs.Length != bags || outputGradients.Length != bags)
            throw new ArgumentException($"{outputs.Length} risks and {outputGradients.Length} gradients do not fit {bags} bags.");
        outputGradients.Clear();

        var events = 0;
        var shift = double.NegativeInfinity;
        for (var b = 0; b < bags; b++)
        {
            if (targets[b].Event) events++;
            shift = Math.Max(shift, outputs[b]);
        }

        if (events == 0) return 0;

        // O(B²) over a batch: batches are tens of bags and validation sets hundreds, so sorting would buy nothing.
        var loss = 0.0;
        for (var i = 0; i < bags; i++)
        {
            if (!targets[i].Event) continue;
            var time = targets[i].Time;
            var riskSum = 0.0;
            for (var j = 0; j < bags; j++)
                if (targets[j].Time >= time) riskSum += Math.Exp(outputs[j] - shift);
            loss -= outputs[i] - (shift + Math.Log(riskSum));

            // d/dr_j of log Σ exp(r) over the risk set: exp(r_j)/riskSum for each j at risk.
            for (var j = 0; j < bags; j++)
                if (targets[j].Time >= time) outputGradients[j] += (float)(Math.Exp(outputs[j] - shift) / riskSum / events);
            outputGradients[i] -= 1f / events;
        }

        return loss / events;
    }
}
