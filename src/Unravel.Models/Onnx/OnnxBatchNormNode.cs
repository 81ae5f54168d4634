// The owner tag an imported BatchNormalization puts on its tape node: the running statistics and ε the node ran with,
// which the tape node does not keep as inputs, so LRP can fold the batch norm into the convolution before it as it does
// for a native BatchNorm2d. Reference: Montavon et al. 2019, "Layer-Wise Relevance Propagation: An Overview", §10.2.

namespace Unravel.Models.Onnx;

/// <summary>A batch norm node of an imported graph, as LRP sees it (γ and β are the tape node's inputs 1 and 2).</summary>
/// <param name="Name">The ONNX node name.</param>
/// <param name="RunningMean">[C].</param>
/// <param name="RunningVar">[C].</param>
/// <param name="Eps">The ε added to the variance.</param>
public sealed record OnnxBatchNormNode(string Name, Tensor RunningMean, Tensor RunningVar, float Eps);
