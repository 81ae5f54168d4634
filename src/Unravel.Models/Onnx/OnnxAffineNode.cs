// The owner tag an imported Conv, Gemm or MatMul (with a constant weight) puts on its tape node, so LRP can give it the
// rule the composite gives a native Conv2d or Linear module: the node's name and, for a convolution, the options it ran
// with (padding resolved for that input). A MatMul's weight is stored [In, Out]; DenseWeight hands it over as a Linear's
// [Out, In]. Reference: Montavon et al. 2019, "Layer-Wise Relevance Propagation: An Overview", §10.2 (rules per layer).

using Unravel.Tensors.Autograd;

namespace Unravel.Models.Onnx;

/// <summary>A convolution or dense node of an imported graph, as LRP sees it.</summary>
/// <param name="Name">The ONNX node name.</param>
/// <param name="OpType">"Conv", "Gemm" or "MatMul".</param>
/// <param name="Convolution">The options of a convolution, or null for a dense node.</param>
public sealed record OnnxAffineNode(string Name, string OpType, Conv2dOptions? Convolution)
{
    /// <summary>The dense weight [Out, In] of a "linear" or "matmul" tape node this tag owns.</summary>
    /// <remarks>Effectively computes node.Inputs[1] for Gemm (already [Out, In]) and its transpose for MatMul.</remarks>
    public Tensor DenseWeight(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        Tensor w = node.Inputs[1].Detach();
        return OpType == "MatMul" ? Ops.Transpose(w, 0, 1) : w;
    }
}
