// TensorSource.Open picks the reader from the path's content.

using Unravel.IO.Tests.Support;

namespace Unravel.IO.Tests;

public sealed class TensorSourceTests
{
    [Theory]
    [InlineData("hf/hf_bin", typeof(HuggingFaceFolder))]
    [InlineData("torch/state_dict.pth", typeof(TorchCheckpoint))]
    [InlineData("hf/hf_bin/pytorch_model.bin", typeof(TorchCheckpoint))]
    [InlineData("safetensors/f32.safetensors", typeof(SafeTensors))]
    public void Open_Path_PicksReaderByContent(string fixture, Type expected)
    {
        using ITensorSource source = TensorSource.Open(FixtureFiles.Path(fixture));
        Assert.IsType(expected, source);
        Assert.NotEmpty(source.Names);
        Assert.Equal(source.GetShape(source.Names[0]), source.GetTensor(source.Names[0]).Shape.ToArray());
    }

    [Fact]
    public void Open_LegacyPickle_ExplainsResave()
    {
        string path = FixtureFiles.Path("torch/legacy.pth");
        IoAssert.Throws(path, () => TensorSource.Open(path), "legacy", "torch.save(model.state_dict(), path)");
    }

    [Theory]
    [InlineData("torch/state_dict.pth", "TorchCheckpoint")]
    [InlineData("npy/f4_2x3.npy", "Npy.Read")]
    [InlineData("torch/legacy.pth", "legacy PyTorch")]
    public void SafeTensorsRead_OtherFormat_SaysWhichFormatItIs(string fixture, string hint)
    {
        string path = FixtureFiles.Path(fixture);
        IoAssert.Throws(path, () => SafeTensors.Read(path), "offset 0", hint);
    }
}
