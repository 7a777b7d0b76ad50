using System.Text;
using Google.Protobuf;

namespace PathoFed.Features.Onnx;

/// <summary>Node attributes with their ONNX type discriminator set, as IR version 2 and later require.</summary>
public static class OnnxAttribute
{
    public static AttributeProto Int(string name, long value) =>
        new() { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params ReadOnlySpan<long> values)
    {
        var attribute = new AttributeProto { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Ints };
        foreach (long value in values) attribute.Ints.Add(value);
        return attribute;
    }

    public static AttributeProto Float(string name, float value) =>
        new() { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Floats(string name, params ReadOnlySpan<float> values)
    {
        var attribute = new AttributeProto { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Floats };
        foreach (float value in values) attribute.Floats.Add(value);
        return attribute;
    }

    /// <summary>A string attribute, stored as UTF-8 bytes as ONNX specifies.</summary>
    public static AttributeProto String(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new AttributeProto
        {
            Name = CheckName(name),
            Type = AttributeProto.Types.AttributeType.String,
            S = ByteString.CopyFrom(Encoding.UTF8.GetBytes(value)),
        };
    }

    private static string CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return name;
    }
}
