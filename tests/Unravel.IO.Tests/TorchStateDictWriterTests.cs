// The .pth writer against Unravel's reader (PyTorch itself reads its files in the channel-split round-trip fixture of
// Unravel.Interpret.Tests): keys, shapes and values survive, the output is deterministic, and the zip is standard.

using System.IO.Compression;
using Unravel.Tensors;

namespace Unravel.IO.Tests;

public sealed class TorchStateDictWriterTests
{
    [Fact]
    public void Write_ThenOpen_GivesTheSameTensors()
    {
        var rng = new Random(1);
        Tensor Rand(params int[] shape)
        {
            var t = Tensor.Zeros(shape);
            for (int i = 0; i < t.Length; i++) t.Data[i] = rng.NextSingle() - 0.5f;
            return t;
        }
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("conv.0.weight", Rand(5, 3, 3, 3)), new("conv.1.weight", Rand(3, 5, 1, 1)),
            new("bn.num_batches_tracked", Tensor.Zeros()), new("fc.bias", Rand(7)), new("ünïcode.key", Rand(2, 1)),
        };
        string path = Path.Combine(Path.GetTempPath(), $"unravel-writer-{Guid.NewGuid():N}.pth");
        try
        {
            TorchStateDictWriter.Write(path, tensors);
            using (TorchCheckpoint ckpt = TorchCheckpoint.Open(path))
            {
                Assert.Equal(tensors.Select(t => t.Key), ckpt.Names);
                foreach ((string key, Tensor value) in tensors)
                {
                    Tensor back = ckpt.GetTensor(key);
                    Assert.Equal(value.Shape.ToArray(), back.Shape.ToArray());
                    Assert.Equal(value.Data.ToArray(), back.Data.ToArray());
                }
            }
            using (ZipArchive zip = ZipFile.OpenRead(path))
            {
                Assert.Equal(["archive/data.pkl", "archive/data/0", "archive/data/1", "archive/data/2", "archive/data/3", "archive/data/4",
                    "archive/version"], zip.Entries.Select(e => e.FullName));
                using var reader = new StreamReader(zip.GetEntry("archive/version")!.Open());
                Assert.Equal("3\n", reader.ReadToEnd());
            }
            using var again = new MemoryStream();
            TorchStateDictWriter.Write(again, tensors);
            Assert.Equal(File.ReadAllBytes(path), again.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
