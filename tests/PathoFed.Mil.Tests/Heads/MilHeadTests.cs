using System.Text.Json;
using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;

namespace PathoFed.Mil.Tests.Heads;

public sealed class MilHeadTests
{
    private static readonly MilHeadConfig Abmil = new() { Kind = MilHeadKind.Abmil, Task = MilTask.Classify, InputDim = 8, EncoderDim = 6, AttentionDim = 4 };

    [Fact]
    public void Forward_EmptyBag_ThrowsNamingSlide()
    {
        var error = Assert.Throws<MilException>(() => MilHeads.Create(Abmil, 1).Forward(new MilBag("slide-empty", 0, 8, [])));
        Assert.Contains("slide-empty", error.Message);
        Assert.Contains("no instances", error.Message);
    }

    [Fact]
    public void Forward_DimensionMismatch_ThrowsNamingSlideAndBothWidths()
    {
        var error = Assert.Throws<MilException>(() => MilHeads.Create(Abmil, 1).Forward(MilTestData.RandomBag("slide-wide", 3, 9, new Random(1))));
        Assert.Contains("slide-wide", error.Message);
        Assert.Contains("9 features", error.Message);
        Assert.Contains("expects 8", error.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Forward_NonFiniteInstance_ThrowsNamingSlideAndPosition(float bad)
    {
        var bag = MilTestData.RandomBag("slide-nan", 40, 8, new Random(1));
        bag.Instances[8 * 37 + 2] = bad;
        var error = Assert.Throws<MilException>(() => MilHeads.Create(Abmil, 1).Forward(bag));
        Assert.Contains("slide-nan", error.Message);
        Assert.Contains("instance 37, feature 2", error.Message);
    }

    [Fact]
    public void Forward_FewerInstancesThanChowderR_UsesEveryTile()
    {
        var config = Abmil with { Kind = MilHeadKind.Chowder, ExtremeCount = 5 };
        var output = MilHeads.Create(config, 1).Forward(MilTestData.RandomBag("slide-small", 2, 8, new Random(1)));
        Assert.Equal(2, output.InstanceScores.Length);
        Assert.True(float.IsFinite(output.Outputs[0]) && float.IsFinite(output.Outputs[1]));
    }

    [Fact]
    public void Backward_BeforeForward_ThrowsInvalidOperation() =>
        Assert.Throws<InvalidOperationException>(() => MilHeads.Create(Abmil, 1).Backward([1f, 0f]));

    [Theory]
    [InlineData(MilHeadKind.Abmil)]
    [InlineData(MilHeadKind.Chowder)]
    [InlineData(MilHeadKind.MeanPool)]
    public void SetParameters_FromAnotherHead_ReproducesItsOutputs(MilHeadKind kind)
    {
        var config = Abmil with { Kind = kind };
        var source = MilHeads.Create(config, 1);
        var target = MilHeads.Create(config, 2);
        var bag = MilTestData.RandomBag("slide-a", 12, 8, new Random(3));

        target.SetParameters(source.GetParameters());

        Assert.Equal(source.Forward(bag).Outputs.ToArray(), target.Forward(bag).Outputs.ToArray());
    }

    [Fact]
    public void Parameters_Abmil_HaveStableNamesAndShapes()
    {
        var names = MilHeads.Create(Abmil, 1).GetParameters().Select(t => $"{t.Name}[{string.Join(",", t.Shape)}]");
        Assert.Equal(
            ["encoder.weight[6,8]", "encoder.bias[6]", "attention.V.weight[4,6]", "attention.V.bias[4]", "attention.U.weight[4,6]",
             "attention.U.bias[4]", "attention.w.weight[1,4]", "classifier.weight[2,6]", "classifier.bias[2]"],
            names);
    }

    [Fact]
    public void SetParameters_WrongShape_ThrowsNamingTensorAndLeavesHeadUnchanged()
    {
        var head = MilHeads.Create(Abmil, 1);
        var before = head.GetParameters();
        var tensors = head.GetParameters().ToList();
        tensors[0] = new NamedTensor("encoder.weight", [8, 6], new float[48]);
        tensors[^1].Values[0] = 42f;

        var error = Assert.Throws<MilException>(() => head.SetParameters(tensors));

        Assert.Contains("encoder.weight", error.Message);
        Assert.Contains("[8, 6]", error.Message);
        Assert.Equal(before[^1].Values, head.GetParameters()[^1].Values);
    }

    [Fact]
    public void SetParameters_MissingOrUnknownTensor_ThrowsNamingIt()
    {
        var head = MilHeads.Create(Abmil, 1);
        var missing = Assert.Throws<MilException>(() => head.SetParameters(head.GetParameters().Skip(1).ToList()));
        Assert.Contains("encoder.weight is missing", missing.Message);

        var extra = head.GetParameters().Append(new NamedTensor("attention.w.bias", [1], [0f])).ToList();
        var unknown = Assert.Throws<MilException>(() => head.SetParameters(extra));
        Assert.Contains("attention.w.bias", unknown.Message);
    }

    [Fact]
    public void Config_JsonRoundTrip_KeepsEveryField()
    {
        var config = Abmil with { Kind = MilHeadKind.Chowder, Task = MilTask.Survival, ExtremeCount = 7, MlpHiddenDims = [50, 20], Dropout = 0.5f };
        var json = JsonSerializer.Serialize(config);
        var back = JsonSerializer.Deserialize<MilHeadConfig>(json)!;

        Assert.Contains("\"Chowder\"", json);
        Assert.Contains("\"Survival\"", json);
        Assert.Equal(json, JsonSerializer.Serialize(back));
        Assert.Equal(1, back.OutputCount);
    }

    [Fact]
    public void Create_InvalidConfig_ThrowsNamingTheField()
    {
        var error = Assert.Throws<MilException>(() => MilHeads.Create(Abmil with { Dropout = 1f }, 1));
        Assert.Contains("Dropout 1", error.Message);
    }
}
