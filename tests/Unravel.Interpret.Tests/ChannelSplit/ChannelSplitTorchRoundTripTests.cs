// PyTorch round trip of a channel split (Hesse et al. 2025, arXiv 2504.12939): Unravel splits a PyTorch-made model,
// writes it as a .pth state_dict, and PyTorch (tools/split/load_split.py, run by tools/fixtures/channel_split.py) loads
// that very file and computes the logits this test compares with Unravel's. The committed edited.pth must equal the bytes
// Unravel writes today, so the file PyTorch read is the file Unravel produces.

using System.Text.Json;
using Unravel.Interpret.ChannelSplit;
using Unravel.IO;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Testing;

namespace Unravel.Interpret.Tests.ChannelSplit;

public sealed class ChannelSplitTorchRoundTripTests
{
    [Theory]
    [InlineData("small_resnet")]
    [InlineData("vgg11_32")]
    public void SplitPth_LoadedByPyTorch_GivesUnravelsLogits(string name)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "channel_split", name);
        using JsonDocument spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "case.json")));
        string layer = spec.RootElement.GetProperty("layer").GetString()!;
        int channel = spec.RootElement.GetProperty("channel").GetInt32();
        byte[] mask = spec.RootElement.GetProperty("mask").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray();
        Func<WeightSource, RootModule> create = name == "small_resnet"
            ? ws => new SmallCnn(ws, new SmallCnnConfig([4, 8]) { Classes = 5 })
            : ws => new Vgg(ws, VggConfig.Vgg11 with { WidthDivisor = 32, Classes = 5 });

        RootModule original = Load(Path.Combine(folder, "original.safetensors"), create);
        Dictionary<string, Tensor> io = Read(Path.Combine(folder, "inputs.safetensors"));
        Tensor x = io["x"];
        TensorAssert.Close(io["logits"], SurgeryTests.Forward(original, x), 1e-5f, 1e-4f, $"{name}: original logits vs PyTorch");

        RootModule edited = ChannelSurgery.Split(original, create, layer, channel, mask);
        Tensor ours = SurgeryTests.Forward(edited, x);
        TensorAssert.Close(io["logits"], ours, 1e-5f, 1e-4f, $"{name}: split logits vs PyTorch's original");

        using var written = new MemoryStream();
        TorchStateDictWriter.Write(written, edited.StateDict().ToList());
        string committed = Path.Combine(folder, "edited.pth");
        if (!File.Exists(committed) || !File.ReadAllBytes(committed).AsSpan().SequenceEqual(written.ToArray()))
        {
            string fresh = Path.Combine(AppContext.BaseDirectory, "TestResults", "channel_split", name, "edited.pth");
            Directory.CreateDirectory(Path.GetDirectoryName(fresh)!);
            File.WriteAllBytes(fresh, written.ToArray());
            Assert.Fail($"{name}: the committed edited.pth is missing or differs from what Unravel writes now; copy {fresh} to "
                + $"tests/Unravel.Interpret.Tests/Fixtures/channel_split/{name}/ and rerun tools/fixtures/channel_split.py.");
        }

        // Unravel's own reader gets the same tensors back, and the split model loads from the .pth.
        RootModule reloaded = Load(committed, create);
        TensorAssert.Close(ours, SurgeryTests.Forward(reloaded, x), 0, 0, $"{name}: model reloaded from edited.pth");

        string torchLogits = Path.Combine(folder, "torch_edited.safetensors");
        Assert.True(File.Exists(torchLogits), $"{name}: torch_edited.safetensors is missing; run tools/fixtures/channel_split.py.");
        TensorAssert.Close(Read(torchLogits)["logits"], ours, 1e-5f, 1e-4f, $"{name}: PyTorch's logits on edited.pth vs Unravel's");
    }

    private static RootModule Load(string path, Func<WeightSource, RootModule> create)
    {
        WeightSource ws = WeightSource.FromTensors(Read(path), path);
        RootModule model = create(ws);
        ws.Complete();
        model.Eval();
        return model;
    }

    private static Dictionary<string, Tensor> Read(string path)
    {
        using ITensorSource source = TensorSource.Open(path);
        return source.Names.ToDictionary(n => n, source.GetTensor);
    }
}
