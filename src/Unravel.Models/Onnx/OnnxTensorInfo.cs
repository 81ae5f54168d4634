// The name, element type and (possibly symbolic) shape of an ONNX graph input or output.

namespace Unravel.Models.Onnx;

/// <summary>A graph input or output; a null dimension is symbolic (e.g. the batch).</summary>
public sealed record OnnxTensorInfo(string Name, OnnxElementType ElementType, IReadOnlyList<int?>? Shape);
