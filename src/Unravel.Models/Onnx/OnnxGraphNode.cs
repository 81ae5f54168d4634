// One node of an imported graph as analyses that walk the graph see it (receptive fields): its operator, the run-time
// values it reads (constants and initializers left out) and writes, and for window ops their geometry.
// Reference: ONNX IR specification, https://onnx.ai/onnx/repo-docs/IR.html (NodeProto).

namespace Unravel.Models.Onnx;

/// <summary>A compiled node of an <see cref="OnnxModel"/>, in execution order.</summary>
/// <param name="Name">The ONNX node name.</param>
/// <param name="OpType">The operator, e.g. "Conv".</param>
/// <param name="Inputs">The values read that are computed at run time (graph inputs or node outputs).</param>
/// <param name="Outputs">The values written.</param>
/// <param name="Window">For Conv, MaxPool and AveragePool: the window; else null.</param>
public sealed record OnnxGraphNode(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, OnnxWindow? Window);
