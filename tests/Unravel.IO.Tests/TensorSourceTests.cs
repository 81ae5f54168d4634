// TensorSource.Open picks the reader from the path's content.

using Unravel.IO.Tests.Support;
using Unravel.Tensors;

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
    public void Open_SafeTensorsWhoseHeaderLengthStartsWith0x80_ReadsSafeTensors()
    {
        // The header length is little-endian; 128 mod 256 makes byte 0 equal a pickle's PROTO opcode (0x80).
        string path = Path.Combine(Path.GetTempPath(), $"hdr80-{Guid.NewGuid():N}.safetensors");
        try
        {
            for (int len = 1; len <= 300; len++)
            {
                var tensors = new Dictionary<string, Tensor> { [new string('k', len)] = Tensor.FromArray([1.5f, -2f], 2) };
                SafeTensors.Write(path, tensors);
                if (File.ReadAllBytes(path)[0] == 0x80) break;
            }
            Assert.Equal(0x80, File.ReadAllBytes(path)[0]);
            using ITensorSource source = TensorSource.Open(path);
            Assert.IsType<SafeTensors>(source);
            Assert.Equal([1.5f, -2f], source.GetTensor(source.Names[0]).Data.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
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
