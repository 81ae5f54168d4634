// An imported ONNX graph that is an image classifier: one float input [N, C, H, W] and a first output [N, classes].
// It is the ONNX model itself (same hooks, module paths and gradients) with the image-classifier surface the commands
// use: the input size is read from the graph input's shape (a symbolic height or width falls back to 224, ImageNet's),
// the class count from the first output's last dimension. The batch dimension is not enforced: most graphs run any
// batch; one exported without dynamic axes that baked its batch into a Reshape fails at that node, naming it.
// Reference: ONNX IR specification, https://onnx.ai/onnx/repo-docs/IR.html (ValueInfoProto, TensorShapeProto).

using Unravel.IO;
using Unravel.Models.Onnx.Proto;
using Unravel.Models.Vision;

namespace Unravel.Models.Onnx;

/// <summary>An <see cref="OnnxModel"/> whose graph maps images [N, C, H, W] to logits [N, classes].</summary>
public sealed class OnnxImageClassifier : OnnxModel, IImageClassifier
{
    /// <summary>Height and width assumed when the graph leaves them symbolic.</summary>
    public const int DefaultSize = 224;

    internal OnnxImageClassifier(WeightSource ws, ModelProto proto, string file, Dictionary<string, OnnxValue> floatInitializers,
        Dictionary<string, OnnxValue> constants, int opset) : base(ws, proto, file, floatInitializers, constants, opset)
    {
        IReadOnlyList<int?> input = Inputs[0].Shape!;
        InputSize = (input[1]!.Value, input[2] ?? DefaultSize, input[3] ?? DefaultSize);
        Classes = Outputs[0].Shape![1]!.Value;
    }

    /// <inheritdoc/>
    public int Classes { get; }

    /// <inheritdoc/>
    public (int Channels, int Height, int Width) InputSize { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string>? ClassNames { get; set; }

    /// <summary>Whether <paramref name="graph"/> has the shape of an image classifier.</summary>
    internal static bool Fits(GraphProto graph)
    {
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        OnnxTensorInfo[] inputs = [.. graph.Input.Where(i => !initializers.Contains(i.Name)).Select(i => Describe(i))];
        if (inputs.Length != 1 || graph.Output.Count == 0 || !IsFloatType(inputs[0].ElementType)) return false;
        OnnxTensorInfo output = Describe(graph.Output[0]);
        return inputs[0].Shape is { Count: 4 } s && s[1] is > 0
            && output.Shape is { Count: 2 } o && o[1] is > 0 && IsFloatType(output.ElementType);
    }

    /// <summary>Logits for a batch of images.</summary>
    /// <param name="images">[N, C, H, W], preprocessed as the exported model expects.</param>
    /// <returns>[N, Classes].</returns>
    /// <exception cref="ArgumentException">Not [N, C, H, W] with the graph's channel count.</exception>
    /// <exception cref="CheckpointFormatException">A node fails; for a graph exported with a fixed batch the hint says so.</exception>
    Tensor IImageClassifier.Forward(Tensor images)
    {
        ImageInput.Check($"onnx {System.IO.Path.GetFileName(File)}", images, InputSize.Channels);
        try
        {
            return Forward(images);                                                         // [N, Classes]
        }
        catch (CheckpointFormatException e) when (Inputs[0].Shape![0] is int fixedBatch && fixedBatch != images.Dim(0))
        {
            throw new CheckpointFormatException(e.File, e.Where, e.Problem,
                $"the graph was exported for batch {fixedBatch} only; re-export with dynamic_axes={{'{Inputs[0].Name}': {{0: 'batch'}}}}, or pass --batch {fixedBatch}", e);
        }
    }
}
