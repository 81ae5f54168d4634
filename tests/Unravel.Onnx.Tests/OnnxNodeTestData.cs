// Locates the ONNX backend node tests shipped by Debian's libonnx-testdata and runs one of them on the importer:
// each test folder holds model.onnx (usually one node) and test_data_set_N/{input,output}_K.pb tensors.

using Unravel.Models.Onnx;
using Unravel.Models.Onnx.Proto;

namespace Unravel.Onnx.Tests;

/// <summary>The Debian ONNX node-test corpus.</summary>
internal static class OnnxNodeTestData
{
    public const string Root = "/usr/share/libonnx-testdata/data/node";

    public const string SkipReason = $"{Root} is absent (apt-get install libonnx-testdata)";

    public static bool Present => Directory.Exists(Root);

    /// <summary>Outcome of one node test.</summary>
    public enum Outcome { Passed, Failed, Unsupported }

    public sealed record Result(string Test, string Operator, Outcome Outcome, string Detail);

    /// <summary>The operator a test exercises: the op of its single node, or of the test it expands.</summary>
    public static string OperatorOf(string testDir)
    {
        string dir = testDir.EndsWith("_expanded", StringComparison.Ordinal) && Directory.Exists(testDir[..^"_expanded".Length])
            ? testDir[..^"_expanded".Length] : testDir;
        ModelProto m = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx")));
        return m.Graph.Node.Count > 0 ? m.Graph.Node[^1].OpType : "(none)";
    }

    /// <summary>Loads and runs one test, comparing outputs with rtol 1e-3, atol 1e-7 (the ONNX backend test defaults)
    /// widened to atol 1e-5 for float32 round-off.</summary>
    public static Result Run(string testDir)
    {
        string name = Path.GetFileName(testDir);
        string op = OperatorOf(testDir);
        OnnxModel model;
        try
        {
            model = OnnxModel.Load(Path.Combine(testDir, "model.onnx"));
        }
        catch (Unravel.IO.CheckpointFormatException e)
        {
            return new Result(name, op, Outcome.Unsupported, e.Problem);
        }
        foreach (string set in Directory.GetDirectories(testDir, "test_data_set_*").Order())
        {
            var inputs = new Dictionary<string, OnnxValue>();
            for (int i = 0; i < model.Inputs.Count; i++)
            {
                string file = Path.Combine(set, $"input_{i}.pb");
                if (!File.Exists(file)) continue;
                TensorProto tp = TensorProto.Parser.ParseFrom(File.ReadAllBytes(file));
                if (!Readable(tp)) return new Result(name, op, Outcome.Unsupported, $"input type {(OnnxElementType)tp.DataType}");
                inputs[model.Inputs[i].Name] = OnnxTensorReader.Read(tp, file, set);
            }
            Dictionary<string, OnnxValue> env;
            try
            {
                env = model.Run(inputs);
            }
            catch (Unravel.IO.CheckpointFormatException e)
            {
                return new Result(name, op, Outcome.Unsupported, e.Problem);
            }
            catch (Exception e)
            {
                return new Result(name, op, Outcome.Failed, $"{e.GetType().Name}: {e.Message}");
            }
            for (int k = 0; k < model.Outputs.Count; k++)
            {
                string file = Path.Combine(set, $"output_{k}.pb");
                TensorProto tp = TensorProto.Parser.ParseFrom(File.ReadAllBytes(file));
                if (!Readable(tp)) return new Result(name, op, Outcome.Unsupported, $"output type {(OnnxElementType)tp.DataType}");
                OnnxValue expected = OnnxTensorReader.Read(tp, file, set);
                OnnxValue actual = env[model.Outputs[k].Name];
                if (Compare(expected, actual) is { } problem)
                    return new Result(name, op, Outcome.Failed, $"output {k}: {problem}");
            }
        }
        return new Result(name, op, Outcome.Passed, "");
    }

    private static bool Readable(TensorProto tp) =>
        (OnnxElementType)tp.DataType is OnnxElementType.Float or OnnxElementType.Double or OnnxElementType.Float16 or OnnxElementType.BFloat16 or OnnxElementType.UInt32 or OnnxElementType.UInt64 or OnnxElementType.Int64 or OnnxElementType.Int32 or OnnxElementType.Bool
            or OnnxElementType.Int8 or OnnxElementType.UInt8 or OnnxElementType.Int16 or OnnxElementType.UInt16;

    private static string? Compare(OnnxValue expected, OnnxValue actual)
    {
        if (!expected.Shape.SequenceEqual(actual.Shape))
            return $"shape {Unravel.Tensors.ShapeRules.Format(actual.Shape)}, expected {Unravel.Tensors.ShapeRules.Format(expected.Shape)}";
        if (!expected.IsFloat)
        {
            long[] e = expected.Ints!, a = actual.AsInts();
            for (int i = 0; i < e.Length; i++)
                if (e[i] != a[i]) return $"element {i}: {a[i]}, expected {e[i]}";
            return null;
        }
        float[] ef = expected.Floats!.ToArray(), af = actual.AsFloat().ToArray();
        double max = 0;
        for (int i = 0; i < ef.Length; i++)
        {
            float e = ef[i], a = af[i];
            if (float.IsNaN(e) && float.IsNaN(a)) continue;
            if (float.IsInfinity(e) && e == a) continue;
            double d = Math.Abs((double)e - a);
            max = Math.Max(max, d);
            if (!(d <= 1e-5 + 1e-3 * Math.Abs(e))) return $"element {i}: {a}, expected {e} (|diff| {d:G3})";
        }
        return null;
    }
}
