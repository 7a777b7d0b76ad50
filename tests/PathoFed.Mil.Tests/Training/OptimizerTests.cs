using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Training;

namespace PathoFed.Mil.Tests.Training;

public sealed class OptimizerTests
{
    [Fact]
    public void AdamW_TwoSteps_MatchHandComputedUpdates()
    {
        var head = MilHeads.Create(new MilHeadConfig { Kind = MilHeadKind.MeanPool, Task = MilTask.Survival, InputDim = 1, EncoderDim = 1 }, 0);
        var weight = head.Parameters[0];
        weight.Values[0] = 0.5f;
        var optimizer = new AdamW([weight], learningRate: 0.1f, weightDecay: 0.01f, beta1: 0.9f, beta2: 0.999f, epsilon: 1e-8f);

        // Step 1, g = 0.2: m = 0.02, v = 4e-5, m̂ = 0.2, v̂ = 0.04, so the Adam step is 0.1 · 0.2 / (0.2 + 1e-8) ≈ 0.1;
        // decoupled decay first: 0.5 · (1 − 0.1 · 0.01) = 0.4995; w = 0.4995 − 0.1 = 0.3995.
        weight.Gradients[0] = 0.2f;
        optimizer.Step();
        Assert.Equal(0.3995, weight.Values[0], 1e-6);

        // Step 2, g = −0.1: m = 0.9 · 0.02 − 0.01 = 0.008, v = 0.999 · 4e-5 + 0.001 · 0.01 = 4.996e-5,
        // m̂ = 0.008 / 0.19 = 0.0421053, v̂ = 4.996e-5 / 0.001999 = 0.0249925, √v̂ = 0.1580902;
        // w = 0.3995 · 0.999 − 0.1 · 0.0421053 / 0.1580902 = 0.3991005 − 0.0266337 = 0.3724668.
        weight.Gradients[0] = -0.1f;
        optimizer.Step();
        Assert.Equal(0.3724668, weight.Values[0], 1e-6);
    }

    [Fact]
    public void ClipGlobalNorm_AboveTheCap_ScalesAllGradientsToTheCap()
    {
        var head = MilHeads.Create(new MilHeadConfig { Kind = MilHeadKind.MeanPool, Task = MilTask.Classify, InputDim = 3, EncoderDim = 2 }, 0);
        var rng = new Random(1);
        foreach (var parameter in head.Parameters)
            for (var i = 0; i < parameter.Gradients.Length; i++) parameter.Gradients[i] = 10f * MilTestData.Gaussian(rng);
        var direction = head.Parameters[0].Gradients[0] / head.Parameters[0].Gradients[1];

        var before = GradientClipping.ClipGlobalNorm(head.Parameters, 1.0);

        Assert.True(before > 1.0);
        Assert.Equal(1.0, GradientClipping.GlobalNorm(head.Parameters), 1e-5);
        Assert.Equal(direction, head.Parameters[0].Gradients[0] / head.Parameters[0].Gradients[1], 1e-5);
    }

    [Fact]
    public void ClipGlobalNorm_BelowTheCap_LeavesGradientsAlone()
    {
        var head = MilHeads.Create(new MilHeadConfig { Kind = MilHeadKind.MeanPool, Task = MilTask.Classify, InputDim = 3, EncoderDim = 2 }, 0);
        head.Parameters[0].Gradients[0] = 0.3f;
        head.Parameters[1].Gradients[0] = 0.4f;

        var norm = GradientClipping.ClipGlobalNorm(head.Parameters, 1.0);

        Assert.Equal(0.5, norm, 1e-6);
        Assert.Equal(0.3f, head.Parameters[0].Gradients[0]);
        Assert.Equal(0.4f, head.Parameters[1].Gradients[0]);
    }
}
