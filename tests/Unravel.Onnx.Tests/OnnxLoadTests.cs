// Loading: external data, and clear load-time failures for malformed files, unsupported operators and opsets.

using Unravel.IO;
using Unravel.Models.Onnx;
using Unravel.Tensors;
using B = Unravel.Onnx.Tests.OnnxGraphBuilder;

namespace Unravel.Onnx.Tests;

public sealed class OnnxLoadTests
{
    [Fact]
    public void Load_ExternalDataInitializer_ReadsBytesAtOffset()
    {
        string folder = Directory.CreateTempSubdirectory("unravel-onnx-").FullName;
        // W = [[1, 2], [3, 4], [5, 6]] stored after 8 bytes of padding in weights.bin.
        float[] w = [1, 2, 3, 4, 5, 6];
        byte[] bytes = new byte[8 + 4 * w.Length];
        Buffer.BlockCopy(w, 0, bytes, 8, 4 * w.Length);
        File.WriteAllBytes(Path.Combine(folder, "weights.bin"), bytes);
        string path = new B().Input("x", 1, 3).ExternalInitializer("W", "weights.bin", 8, [3, 2])
            .Node("MatMul", ["x", "W"], ["y"]).Output("y").Save(folder);

        OnnxModel model = OnnxModel.Load(path);
        Tensor y = model.Forward(Tensor.FromArray([1f, 1f, 1f], 1, 3));

        // y = [1+3+5, 2+4+6]
        Assert.Equal([9f, 12f], y.ToArray());
        Assert.Equal("W", Assert.Single(model.Parameters()).Path);
    }

    [Fact]
    public void Load_MissingExternalFile_NamesTensorAndFile()
    {
        string path = new B().Input("x", 1, 3).ExternalInitializer("W", "absent.bin", 0, [3, 2])
            .Node("MatMul", ["x", "W"], ["y"]).Output("y").Save();
        var e = Assert.Throws<CheckpointFormatException>(() => OnnxModel.Load(path));
        Assert.Contains("'W'", e.Message);
        Assert.Contains("absent.bin", e.Message);
    }

    [Fact]
    public void Load_UnsupportedOperator_FailsAtLoadNamingOpNodeAndOpset()
    {
        string path = new B().Input("x", 2).Node("Relu", ["x"], ["r"], "first")
            .Node("NonMaxSuppression", ["r"], ["y"], "nms_node").Output("y").Save();
        var e = Assert.Throws<CheckpointFormatException>(() => OnnxModel.Load(path));
        Assert.Contains("NonMaxSuppression", e.Message);
        Assert.Contains("nms_node", e.Message);
        Assert.Contains("opset 17", e.Message);
    }

    [Fact]
    public void Load_OpsetAboveSupported_FailsWithRange()
    {
        string path = new B(opset: 22).Input("x", 2).Node("Relu", ["x"], ["y"]).Output("y").Save();
        var e = Assert.Throws<CheckpointFormatException>(() => OnnxModel.Load(path));
        Assert.Contains("opset 22", e.Message);
    }

    [Fact]
    public void Load_TruncatedFile_FailsWithFormatError()
    {
        byte[] full = new B().Input("x", 1, 3).Initializer("W", [1, 2, 3, 4, 5, 6], 3, 2)
            .Node("MatMul", ["x", "W"], ["y"]).Output("y").Bytes();
        string path = Path.Combine(Directory.CreateTempSubdirectory("unravel-onnx-").FullName, "cut.onnx");
        File.WriteAllBytes(path, full[..(full.Length - 7)]);
        var e = Assert.Throws<CheckpointFormatException>(() => OnnxModel.Load(path));
        Assert.Contains("cut.onnx", e.Message);
    }

    [Fact]
    public void Load_NotAnOnnxFile_FailsWithFormatError()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("unravel-onnx-").FullName, "text.onnx");
        File.WriteAllText(path, "this is a text file, not a protobuf model\n");
        Assert.Throws<CheckpointFormatException>(() => OnnxModel.Load(path));
    }

    [Fact]
    public void Load_UndefinedInput_FailsAtLoad()
    {
        string path = new B().Input("x", 2).Node("Add", ["x", "nowhere"], ["y"], "adder").Output("y").Save();
        var e = Assert.Throws<CheckpointFormatException>(() => OnnxModel.Load(path));
        Assert.Contains("nowhere", e.Message);
        Assert.Contains("adder", e.Message);
    }

    [Fact]
    public void Load_ShapeSubgraph_IsFoldedAtLoad()
    {
        // shape = Concat(Constant [2], Constant [-1]) is computed once at load; only the Reshape runs per call.
        string path = new B().Input("x", 1, 6)
            .IntInitializer("a", [2], 1).IntInitializer("b", [-1], 1)
            .Node("Concat", ["a", "b"], ["shape"], "cat", B.Int("axis", 0))
            .Node("Reshape", ["x", "shape"], ["y"], "reshape").Output("y").Save();
        OnnxModel model = OnnxModel.Load(path);
        Assert.Equal(["y"], model.AllHookNames);
        Assert.Equal([2, 3], model.Forward(Tensor.FromArray([1f, 2, 3, 4, 5, 6], 1, 6)).Shape.ToArray());
    }
}
