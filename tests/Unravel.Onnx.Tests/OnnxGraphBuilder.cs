// Builds small ONNX models in memory for tests: graph inputs, float initializers (inline or external) and nodes.

using Google.Protobuf;
using Unravel.Models.Onnx.Proto;

namespace Unravel.Onnx.Tests;

internal sealed class OnnxGraphBuilder(int opset = 17)
{
    private readonly ModelProto _model = new()
    {
        IrVersion = 8,
        Graph = new GraphProto { Name = "test" },
        OpsetImport = { new OperatorSetIdProto { Domain = "", Version = opset } },
    };

    public OnnxGraphBuilder Input(string name, params int[] shape)
    {
        var dims = new TensorShapeProto();
        foreach (int d in shape) dims.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        _model.Graph.Input.Add(new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = dims } },
        });
        return this;
    }

    public OnnxGraphBuilder Output(string name)
    {
        _model.Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        return this;
    }

    public OnnxGraphBuilder Initializer(string name, float[] values, params int[] shape)
    {
        var t = new TensorProto { Name = name, DataType = 1 };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.FloatData.AddRange(values);
        _model.Graph.Initializer.Add(t);
        return this;
    }

    public OnnxGraphBuilder IntInitializer(string name, long[] values, params int[] shape)
    {
        var t = new TensorProto { Name = name, DataType = 7 };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.Int64Data.AddRange(values);
        _model.Graph.Initializer.Add(t);
        return this;
    }

    /// <summary>A float initializer whose bytes live in <paramref name="location"/> (relative to the model) at an offset.</summary>
    public OnnxGraphBuilder ExternalInitializer(string name, string location, long offset, int[] shape)
    {
        var t = new TensorProto { Name = name, DataType = 1, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = (shape.Aggregate(1, (a, b) => a * b) * 4).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        _model.Graph.Initializer.Add(t);
        return this;
    }

    public OnnxGraphBuilder Node(string op, string[] inputs, string[] outputs, string? name = null, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = name ?? "" };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        _model.Graph.Node.Add(n);
        return this;
    }

    public static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    public static AttributeProto Ints(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    public static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };

    public byte[] Bytes() => _model.ToByteArray();

    /// <summary>Writes the model to a new temporary folder and returns the .onnx path.</summary>
    public string Save(string? folder = null)
    {
        folder ??= Directory.CreateTempSubdirectory("unravel-onnx-").FullName;
        string path = Path.Combine(folder, "model.onnx");
        File.WriteAllBytes(path, Bytes());
        return path;
    }
}
