// Receptive fields of an imported graph's tensors, computed by walking its Conv/MaxPool chain, equal those the native
// ResNet-18 computes from its module tree (same architecture, same input size), for stage, block, convolution and
// shortcut outputs; after the global pool every unit sees the whole image.
// Reference: Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019.

using Unravel.Interpret.Collection;

namespace Unravel.Onnx.Tests;

public sealed class OnnxReceptiveFieldTests
{
    [Theory]
    [InlineData("conv1", "conv1")]
    [InlineData("maxpool", "maxpool")]
    [InlineData("layer1.0.conv1", "layer1.0.conv1")]
    [InlineData("layer1", "layer1")]
    [InlineData("layer2.0", "layer2.0")]
    [InlineData("layer2.0.downsample.0", "layer2.0.downsample.0")]
    [InlineData("layer3.1.conv2", "layer3.1.conv2")]
    [InlineData("layer4", "layer4")]
    [InlineData("/layer2/layer2.1/relu/Relu_output_0", "layer2.1.hook_relu1")]
    public void ReceptiveField_OnnxTensor_EqualsNative(string onnxHook, string nativeHook)
    {
        (var onnx, var native) = NativeTwin.ResNet18();
        foreach ((int h, int w) in new[] { (32, 32), (64, 48) })
        {
            ReceptiveField expected = ReceptiveField.Of(native, nativeHook, h, w), actual = ReceptiveField.Of(onnx, onnxHook, h, w);
            Assert.Equal(expected.Rows, actual.Rows);
            Assert.Equal(expected.Columns, actual.Columns);
            Assert.Equal(expected.Global, actual.Global);
        }
    }

    [Fact]
    public void ReceptiveField_SqueezeExcitationGate_KeepsTheFeatureMapsField()
    {
        // efficientnet_b0's MBConv blocks multiply their feature map by a sigmoid gate computed from a global pool; the
        // gate scales channels and does not widen the field. features.3.0.block.1 is a depthwise conv deep in the stack.
        var onnx = Unravel.Models.Onnx.OnnxModel.Load(Path.Combine(NativeTwin.Folder("efficientnet_b0"), "model.onnx"));
        ReceptiveField field = ReceptiveField.Of(onnx, "features.3.0.block.1", 32, 32);
        Assert.False(field.Global);
        Assert.Equal(4, field.Rows.Output);                 // the layer's activation is [48, 4, 4]
        Assert.Equal(8, field.Rows.Jump);                   // three stride-2 stages before it
        Assert.InRange(field.Rows.Size, 9, 64);
        Assert.True(ReceptiveField.Of(onnx, "avgpool", 32, 32).Global);
    }

    [Fact]
    public void ReceptiveField_AfterGlobalPool_IsGlobal()
    {
        (var onnx, _) = NativeTwin.ResNet18();
        Assert.True(ReceptiveField.Of(onnx, "avgpool", 32, 32).Global);
        Assert.Equal((0, 0, 32, 32), ReceptiveField.Of(onnx, "avgpool", 32, 32).Region(0));
        Assert.False(ReceptiveField.Of(onnx, "layer3", 32, 32).Global);
    }
}
