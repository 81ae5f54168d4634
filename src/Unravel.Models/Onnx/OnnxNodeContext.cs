// What an operator's compile step sees: the node, its attributes, the opset it binds to, and a way to fail with a
// message naming the node. Compile steps parse attributes once at load, so a bad attribute fails there.

using Unravel.IO;
using Unravel.Models.Onnx.Proto;

namespace Unravel.Models.Onnx;

/// <summary>Runs one node: inputs (null for an omitted optional input) to outputs.</summary>
internal delegate OnnxValue[] OnnxKernel(OnnxValue?[] inputs);

/// <summary>A node being compiled.</summary>
internal sealed class OnnxNodeContext(NodeProto node, int opset, string file)
{
    public NodeProto Node { get; } = node;

    /// <summary>The default-domain opset version the node binds to.</summary>
    public int Opset { get; } = opset;

    public string File { get; } = file;

    /// <summary>The node's name, or its first output when unnamed.</summary>
    public string Name => Node.Name.Length > 0 ? Node.Name : Node.Output.Count > 0 ? Node.Output[0] : "(unnamed)";

    public CheckpointFormatException Fail(string problem, string? hint = null) =>
        new(File, $"node '{Name}' ({Node.OpType}, opset {Opset})", problem, hint);

    public bool Has(string name) => Find(name) is not null;

    public long Int(string name, long fallback) => Find(name)?.I ?? fallback;

    public float Float(string name, float fallback) => Find(name)?.F ?? fallback;

    public string String(string name, string fallback) => Find(name) is { } a ? a.S.ToStringUtf8() : fallback;

    public long[]? Ints(string name) => Find(name) is { } a ? [.. a.Ints] : null;

    public float[]? Floats(string name) => Find(name) is { } a ? [.. a.Floats] : null;

    public TensorProto? Tensor(string name) => Find(name)?.T;

    /// <summary>Number of inputs given (trailing omitted ones not counted).</summary>
    public int InputCount => Node.Input.Count;

    /// <summary>Whether output <paramref name="i"/> is requested.</summary>
    public bool WantsOutput(int i) => i < Node.Output.Count && Node.Output[i].Length > 0;

    private AttributeProto? Find(string name)
    {
        foreach (AttributeProto a in Node.Attribute)
            if (a.Name == name) return a;
        return null;
    }
}
