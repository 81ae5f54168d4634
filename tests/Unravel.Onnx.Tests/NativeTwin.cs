// The committed ResNet-18 export (tools/fixtures/onnx_models.py: torchvision's BasicBlock ResNet at base width 8, 10
// classes, batch norms kept as nodes) keeps the state_dict keys as initializer names, so the native ResNet loads the very
// same weights from the imported graph: the two models are the same function computed by different code.

using Unravel.Models.Onnx;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Onnx.Tests;

internal static class NativeTwin
{
    public static string Folder(string model) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx", model);

    /// <summary>The imported ResNet-18 fixture and the native ResNet bound to its parameters.</summary>
    public static (OnnxModel Onnx, ResNet Native) ResNet18()
    {
        OnnxModel onnx = OnnxModel.Load(Path.Combine(Folder("resnet18"), "model.onnx"));
        var tensors = new Dictionary<string, Tensor>(onnx.StateDict(), StringComparer.Ordinal);
        // torch.onnx drops num_batches_tracked, which inference never reads.
        foreach (string key in tensors.Keys.Where(k => k.EndsWith(".running_mean", StringComparison.Ordinal)).ToArray())
            tensors[key[..^"running_mean".Length] + "num_batches_tracked"] = Tensor.Zeros();
        WeightSource ws = WeightSource.FromTensors(tensors, "resnet18 fixture");
        var native = new ResNet(ws, ResNetConfig.ResNet18 with { Width = 8, Classes = 10 });
        ws.Complete();
        native.Eval();
        return (onnx, native);
    }
}
