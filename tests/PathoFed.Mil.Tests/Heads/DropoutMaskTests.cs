using PathoFed.Mil.Heads;

namespace PathoFed.Mil.Tests.Heads;

public sealed class DropoutMaskTests
{
    [Fact]
    public void Apply_Training_DropsAtTheRateAndKeepsTheMean()
    {
        var values = Enumerable.Repeat(1f, 100_003).ToArray();
        new DropoutMask(0.25f).Apply(values, training: true, new Random(1));

        var dropped = values.Count(v => v == 0f);
        Assert.InRange(dropped / (double)values.Length, 0.24, 0.26);
        Assert.All(values, v => Assert.True(v == 0f || Math.Abs(v - 4f / 3f) < 1e-6));
        Assert.InRange(values.Average(), 0.98, 1.02);
    }

    [Fact]
    public void Apply_Inference_LeavesValuesAlone()
    {
        var values = new[] { 1f, 2f, 3f };
        var dropout = new DropoutMask(0.5f);
        dropout.Apply(values, training: false, rng: null);
        var gradient = new[] { 1f, 1f, 1f };
        dropout.Backward(gradient);
        Assert.Equal([1f, 2f, 3f], values);
        Assert.Equal([1f, 1f, 1f], gradient);
    }

    [Fact]
    public void Backward_AppliesTheSameMask()
    {
        var values = Enumerable.Repeat(1f, 64).ToArray();
        var dropout = new DropoutMask(0.5f);
        dropout.Apply(values, training: true, new Random(3));
        var gradient = Enumerable.Repeat(1f, 64).ToArray();
        dropout.Backward(gradient);
        Assert.Equal(values, gradient);
    }
}
