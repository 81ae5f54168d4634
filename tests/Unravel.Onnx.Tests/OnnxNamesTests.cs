// Module-path recovery from torch.onnx scope names (examples taken from torchvision exports).

using Unravel.Models.Onnx;

namespace Unravel.Onnx.Tests;

public sealed class OnnxNamesTests
{
    [Fact]
    public void ModulePath_TorchvisionScopes_GiveStateDictPaths()
    {
        var names = new OnnxNames();
        Assert.Equal("layer3.1.relu", names.ModulePath("/layer3/layer3.1/relu/Relu"));
        Assert.Equal("layer3.1.conv2", names.ModulePath("/layer3/layer3.1/conv2/Conv"));
        // The second call of a module gets a numbered scope, folded back onto the module.
        Assert.Equal("layer3.1.relu", names.ModulePath("/layer3/layer3.1/relu_1/Relu_output_0"));
        Assert.Equal("features.1.block.0.0", names.ModulePath("/features/features.1/block/block.0/block.0.0/Conv"));
        // A real name ending in _N (never seen without it) is kept.
        Assert.Equal("encoder.layers.encoder_layer_0.ln_1", names.ModulePath("/encoder/layers/encoder_layer_0/ln_1/LayerNormalization"));
        Assert.Null(names.ModulePath("onnx::Conv_123"));
        Assert.Null(names.ModulePath("/Add"));
    }
}
