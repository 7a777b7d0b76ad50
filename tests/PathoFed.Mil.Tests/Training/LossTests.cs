using PathoFed.Mil.Data;
using PathoFed.Mil.Tests.Heads;
using PathoFed.Mil.Training;

namespace PathoFed.Mil.Tests.Training;

public sealed class LossTests
{
    [Fact]
    public void Cox_TinyExampleWithTies_EqualsHandComputedBreslowValue()
    {
        // Risks 0.5, −0.2, 1.0, 0.0 at times 1, 2, 2, 3; events on the first three (the two at t = 2 tied), the last censored.
        // Breslow: both tied events share the risk set {1, 2, 3}:
        // L = −(1/3)[(0.5 − log S₀) + (−0.2 − log S₁) + (1.0 − log S₁)], S₀ = e^0.5 + e^−0.2 + e^1 + 1, S₁ = e^−0.2 + e^1 + 1.
        float[] risks = [0.5f, -0.2f, 1.0f, 0.0f];
        MilTarget[] targets = [MilTarget.Survival(1, true), MilTarget.Survival(2, true), MilTarget.Survival(2, true), MilTarget.Survival(3, false)];
        var gradients = new float[4];

        var loss = new CoxPartialLikelihoodLoss().Compute(risks, targets, gradients);

        Assert.Equal(1.1822610655585057, loss, 1e-6);
        double[] expected = [-0.24448797237405412, -0.16891008997975568, 0.21257105941610938, 0.20082700293770053];
        for (var i = 0; i < 4; i++) Assert.Equal(expected[i], gradients[i], 1e-6);
    }

    [Fact]
    public void Cox_NoEvents_IsZeroWithZeroGradient()
    {
        var gradients = new float[] { 9, 9 };
        var loss = new CoxPartialLikelihoodLoss().Compute([1f, 2f], [MilTarget.Survival(1, false), MilTarget.Survival(2, false)], gradients);
        Assert.Equal(0, loss);
        Assert.Equal([0f, 0f], gradients);
    }

    [Fact]
    public void Cox_GradientWithRespectToRisks_MatchesFiniteDifferences()
    {
        var rng = new Random(2);
        var risks = Enumerable.Range(0, 9).Select(_ => MilTestData.Gaussian(rng)).ToArray();
        double[] times = [4, 1, 4, 2, 7, 4, 2, 9, 3];
        var targets = times.Select((t, i) => MilTarget.Survival(t, i % 3 != 2)).ToArray();
        AssertInputGradient(new CoxPartialLikelihoodLoss(), risks, targets);
    }

    [Fact]
    public void CrossEntropy_WeightedGradientWithRespectToLogits_MatchesFiniteDifferences()
    {
        var rng = new Random(3);
        var logits = Enumerable.Range(0, 5 * 3).Select(_ => 2 * MilTestData.Gaussian(rng)).ToArray();
        var targets = Enumerable.Range(0, 5).Select(i => MilTarget.Class(i % 3)).ToArray();
        AssertInputGradient(new SoftmaxCrossEntropyLoss(3, [0.5f, 2f, 1f]), logits, targets);
    }

    [Fact]
    public void CrossEntropy_TwoClassesUnweighted_EqualsLogOfSoftmax()
    {
        var gradients = new float[2];
        var loss = new SoftmaxCrossEntropyLoss(2).Compute([1f, 3f], [MilTarget.Class(0)], gradients);
        Assert.Equal(Math.Log(1 + Math.Exp(2)), loss, 1e-6);
        Assert.Equal(1 / (1 + Math.Exp(2)) - 1, gradients[0], 1e-6);
    }

    [Fact]
    public void CrossEntropy_WrongNumberOfWeights_ThrowsMilException()
    {
        var error = Assert.Throws<MilException>(() => new SoftmaxCrossEntropyLoss(3, [1f, 2f]));
        Assert.Contains("2 class weights", error.Message);
    }

    private static void AssertInputGradient(MilLoss loss, float[] outputs, MilTarget[] targets)
    {
        var analytic = new float[outputs.Length];
        loss.Compute(outputs, targets, analytic);
        var numeric = new double[outputs.Length];
        const float step = 1e-3f;
        for (var i = 0; i < outputs.Length; i++)
        {
            var original = outputs[i];
            outputs[i] = original + step;
            var plus = loss.Compute(outputs, targets, new float[outputs.Length]);
            outputs[i] = original - step;
            var minus = loss.Compute(outputs, targets, new float[outputs.Length]);
            outputs[i] = original;
            numeric[i] = (plus - minus) / (2.0 * step);
        }

        GradientCheck.AssertClose("outputs", numeric, analytic, 1e-3);
    }
}
