// The operator table of the ONNX importer: op_type → compile step. A compile step reads the node's attributes once
// (failing at load on anything it cannot honour) and returns the kernel that runs the node on engine tensors.
// Float values go through differentiable engine ops (Unravel.Tensors.Ops or OnnxOps), so gradients and hooks work;
// integer values (shapes, indices, masks) are computed directly on longs.
// Reference: ONNX operator specifications, https://onnx.ai/onnx/operators/ (opsets 13-21).

namespace Unravel.Models.Onnx;

/// <summary>Compiles ONNX nodes to kernels.</summary>
internal static partial class OnnxOperators
{
    private static readonly Dictionary<string, Func<OnnxNodeContext, OnnxKernel>> s_table = BuildTable();

    /// <summary>The supported operator types, sorted.</summary>
    public static IReadOnlyList<string> Supported { get; } = [.. s_table.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Compiles <paramref name="context"/>'s node.</summary>
    /// <exception cref="Unravel.IO.CheckpointFormatException">The operator, its domain or an attribute is unsupported.</exception>
    public static OnnxKernel Compile(OnnxNodeContext context)
    {
        string domain = context.Node.Domain;
        if (domain.Length > 0 && domain != "ai.onnx")
            throw context.Fail($"operator '{context.Node.OpType}' of domain '{domain}' is not supported.",
                "only the default ONNX domain is imported; export without custom or contrib operators.");
        if (!s_table.TryGetValue(context.Node.OpType, out Func<OnnxNodeContext, OnnxKernel>? compile))
            throw context.Fail($"operator '{context.Node.OpType}' is not supported.",
                $"supported operators: {string.Join(", ", Supported)}.");
        return compile(context);
    }

    private static Dictionary<string, Func<OnnxNodeContext, OnnxKernel>> BuildTable()
    {
        var t = new Dictionary<string, Func<OnnxNodeContext, OnnxKernel>>(StringComparer.Ordinal);
        AddMath(t);
        AddNn(t);
        AddShape(t);
        return t;
    }

    private static OnnxValue[] One(Tensor t) => [OnnxValue.Float(t)];

    private static OnnxValue[] One(OnnxValue v) => [v];

    private static int Axis(long axis, int rank, OnnxNodeContext c)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw c.Fail($"axis {axis} is out of range for rank {rank}.");
        return (int)a;
    }

    private static int[] ToInts(long[] v) => Array.ConvertAll(v, x => checked((int)x));

    /// <summary>The integer values of an optional input, or null when it is omitted.</summary>
    private static long[]? OptionalInts(OnnxValue?[] inputs, int i) => i < inputs.Length && inputs[i] is { } v ? v.AsInts() : null;
}
