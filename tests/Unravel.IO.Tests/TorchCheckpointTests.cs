// PyTorch zip checkpoints: values of real torch.save files (every storage type, non-contiguous views, shared
// storages, protocol 4), wrapped training checkpoints, and the rejections (malicious globals, legacy, TorchScript,
// whole modules, damaged archives), each naming the file and entry/key.

using System.IO.Compression;
using Unravel.IO.Tests.Support;
using Unravel.Tensors;

namespace Unravel.IO.Tests;

public sealed class TorchCheckpointTests
{
    [Theory]
    [InlineData("torch/state_dict.pth")]
    [InlineData("torch/protocol4.pth")]
    public void Read_StateDict_ValuesEqualTorchInFileOrder(string fixture)
    {
        IReadOnlyDictionary<string, Tensor> sd = TorchCheckpoint.Read(FixtureFiles.Path(fixture));
        Assert.Equal(FixtureFiles.ExpectedNames(fixture), sd.Keys);
        foreach ((string name, Tensor e) in FixtureFiles.Expected(fixture))
            IoAssert.Identical(e, sd[name], $"{fixture}:{name}");
    }

    [Fact]
    public void Open_StateDict_GivesShapesAndTensorsOnRequest()
    {
        using TorchCheckpoint ckpt = TorchCheckpoint.Open(FixtureFiles.Path("torch/state_dict.pth"));
        Assert.Null(ckpt.StateDictKey);
        Assert.Equal([4, 3], ckpt.GetShape("transposed"));
        Assert.Equal([0, 3], ckpt.GetShape("empty"));
        Assert.Empty(ckpt.GetShape("scalar"));
        Assert.True(ckpt.Contains("tied_b"));
        Assert.False(ckpt.Contains("nope"));
        IReadOnlyDictionary<string, Tensor> expected = FixtureFiles.Expected("torch/state_dict.pth");
        IoAssert.Identical(expected["half_transposed"], ckpt.GetTensor("half_transposed"), "half_transposed");
        IoAssert.Identical(expected["strided"], ckpt.GetTensor("strided"), "strided");
        Assert.Throws<KeyNotFoundException>(() => ckpt.GetTensor("nope"));
        // OrderedDict._metadata is pickled as an attribute (BUILD), not as an item.
        Assert.Empty(ckpt.Values);
    }

    [Fact]
    public void Read_TiedTensors_AreIndependentCopies()
    {
        IReadOnlyDictionary<string, Tensor> sd = TorchCheckpoint.Read(FixtureFiles.Path("torch/state_dict.pth"));
        float before = sd["tied_b"].Data[0];
        sd["tied_a"].Data[0] += 1;
        Assert.Equal(before, sd["tied_b"].Data[0]);
    }

    [Fact]
    public void Open_WrappedCheckpoint_FindsStateDictAndPlainValues()
    {
        using TorchCheckpoint ckpt = TorchCheckpoint.Open(FixtureFiles.Path("torch/wrapped.pth"));
        Assert.Equal("state_dict", ckpt.StateDictKey);
        Assert.Equal(FixtureFiles.ExpectedNames("torch/wrapped.pth"), ckpt.Names);
        foreach ((string name, Tensor e) in FixtureFiles.Expected("torch/wrapped.pth"))
            IoAssert.Identical(e, ckpt.GetTensor(name), name);
        Assert.Equal(3L, ckpt.Values["epoch"]);
        Assert.Equal(0.001, ckpt.Values["lr"]);
        Assert.Equal("mlp", ckpt.Values["arch"]);
        Assert.Equal(true, ckpt.Values["best"]);
        Assert.Null(ckpt.Values["note"]);
        Assert.Equal(20L, ckpt.Values["milestones.1"]);
        Assert.Equal(1L << 40, ckpt.Values["big"]);
        Assert.Equal(-5L, ckpt.Values["neg"]);
        Assert.Equal(0.9, ckpt.Values["optimizer.param_groups.0.betas.0"]);
        Assert.Contains("optimizer.state.0.exp_avg", ckpt.AllTensorNames);
        Assert.Contains("state_dict.0.weight", ckpt.AllTensorNames);
        Assert.Equal([4, 3], ckpt.GetTensorAt("optimizer.state.0.exp_avg").Shape.ToArray());
        Assert.Contains("optimizer", ckpt.TopLevelKeys);
    }

    [Fact]
    public void Read_ModelWrapper_UsesModelKey()
    {
        using TorchCheckpoint ckpt = TorchCheckpoint.Open(FixtureFiles.Path("torch/wrapped_model.pth"));
        Assert.Equal("model", ckpt.StateDictKey);
        foreach ((string name, Tensor e) in FixtureFiles.Expected("torch/wrapped_model.pth"))
            IoAssert.Identical(e, ckpt.GetTensor(name), name);
        Assert.Equal(10L, ckpt.Values["step"]);
    }

    [Fact]
    public void Open_ExplicitKeyWithoutTensors_ThrowsListingTopLevelKeys()
    {
        string path = FixtureFiles.Path("torch/wrapped.pth");
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path, "optimizer"), ": optimizer:", "no dict of tensors", "state_dict");
    }

    [Fact]
    public void Open_SeveralCandidateDicts_ThrowsAskingForKey()
    {
        using var dir = new TempDir();
        var p = new PickleWriter().Proto().EmptyDict().Mark();
        p.Str("a").EmptyDict().Str("w").Tensor("0", 2, 0, [2], [1]).SetItem();
        p.Str("b").EmptyDict().Str("w").Tensor("0", 2, 0, [2], [1]).SetItem();
        p.SetItems().Stop();
        string path = dir.Path("two.pth");
        PickleWriter.WriteZip(path, p.ToArray(), new Dictionary<string, byte[]> { ["0"] = PickleWriter.Floats(1, 2) });
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "several top-level dicts", "a, b", "TorchCheckpoint.Open(path, \"<key>\")");
        using TorchCheckpoint ckpt = TorchCheckpoint.Open(path, "b");
        Assert.Equal([1f, 2f], ckpt.GetTensor("w").ToArray());
    }

    [Fact]
    public void Read_ExpandedView_RepeatsStorageElements()
    {
        using var dir = new TempDir();
        // torch.tensor([1., 2.])[:, None].expand(2, 3): size (2, 3), stride (1, 0).
        byte[] pkl = new PickleWriter().Proto().EmptyDict().Str("e").Tensor("0", 2, 0, [2, 3], [1, 0]).SetItem().Stop().ToArray();
        string path = dir.Path("expand.pth");
        PickleWriter.WriteZip(path, pkl, new Dictionary<string, byte[]> { ["0"] = PickleWriter.Floats(1, 2) });
        Assert.Equal([1f, 1f, 1f, 2f, 2f, 2f], TorchCheckpoint.Read(path)["e"].ToArray());
    }

    // ------------------------------------------------------------------------------------------- rejections

    [Theory]
    [InlineData("torch/malicious_os_system.pth", "os.system")]
    [InlineData("torch/malicious_posix_system.pth", "posix.system")]
    [InlineData("torch/malicious_builtins_eval.pth", "builtins.eval")]
    [InlineData("torch/malicious_stack_global.pth", "os.system")]
    public void Open_DisallowedGlobal_ThrowsNamingGlobalAndExecutesNothing(string fixture, string global)
    {
        const string marker = "/tmp/unravel_pwned";
        File.Delete(marker);
        string path = FixtureFiles.Path(fixture);
        Assert.NotNull(IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "data.pkl offset ", $"global '{global}' is not allowed").Hint);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void Open_WholePickledModule_ThrowsWithStateDictHint()
    {
        string path = FixtureFiles.Path("torch/whole_module.pth");
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "torch.nn.modules.linear.Linear", "torch.save(model.state_dict(), path)");
    }

    [Fact]
    public void Open_LegacyFormat_ThrowsWithResaveHint()
    {
        string path = FixtureFiles.Path("torch/legacy.pth");
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "offset 0", "legacy", "torch.save(model.state_dict(), path)");
    }

    [Fact]
    public void Open_TorchScriptArchive_ThrowsWithHint()
    {
        string path = FixtureFiles.Path("torch/torchscript.pt");
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "TorchScript", "torch.jit.load(path).state_dict()");
    }

    [Fact]
    public void Open_SafetensorsFile_ThrowsWrongMagic()
    {
        string path = FixtureFiles.Path("safetensors/f32.safetensors");
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "offset 0", "expected 'PK'");
    }

    [Fact]
    public void Open_EmptyFile_Throws()
    {
        using var dir = new TempDir();
        string path = dir.Write("empty.pth", []);
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "offset 0", "truncated");
    }

    [Fact]
    public void Open_TruncatedArchive_Throws()
    {
        using var dir = new TempDir();
        byte[] bytes = File.ReadAllBytes(FixtureFiles.Path("torch/state_dict.pth"));
        string path = dir.Write("cut.pth", bytes[..(bytes.Length / 2)]);
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "zip", "truncated");
    }

    /// <summary>Rewrites the fixture archive with one entry removed or replaced.</summary>
    private static string Rewrite(TempDir dir, string dropSuffix, byte[]? replacement)
    {
        string path = dir.Path("edited.pth");
        using var source = ZipFile.OpenRead(FixtureFiles.Path("torch/state_dict.pth"));
        using var target = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        foreach (ZipArchiveEntry e in source.Entries)
        {
            bool match = e.FullName.EndsWith(dropSuffix, StringComparison.Ordinal);
            if (match && replacement is null) continue;
            using Stream dst = target.CreateEntry(e.FullName, CompressionLevel.NoCompression).Open();
            if (match) dst.Write(replacement);
            else using (Stream src = e.Open()) src.CopyTo(dst);
        }
        return path;
    }

    [Fact]
    public void Open_MissingStorageEntry_ThrowsNamingEntry()
    {
        using var dir = new TempDir();
        string path = Rewrite(dir, "/data/0", null);
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "state_dict/data/0:", "no data entry");
    }

    [Fact]
    public void Open_ShortStorageEntry_ThrowsNamingEntry()
    {
        using var dir = new TempDir();
        string path = Rewrite(dir, "/data/0", new byte[5]);
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "state_dict/data/0:", "needs 24 bytes but the entry has 5");
    }

    [Fact]
    public void Open_BigEndianByteOrder_Throws()
    {
        using var dir = new TempDir();
        byte[] pkl = new PickleWriter().Proto().EmptyDict().Stop().ToArray();
        string path = dir.Path("be.pth");
        PickleWriter.WriteZip(path, pkl, extra: new Dictionary<string, byte[]> { ["byteorder"] = "big"u8.ToArray() });
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "archive/byteorder", "'big'");
    }

    [Fact]
    public void Open_EntriesWithoutCommonFolder_Throws()
    {
        using var dir = new TempDir();
        string path = dir.Path("mixed.pth");
        using (var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create))
        {
            zip.CreateEntry("a/data.pkl");
            zip.CreateEntry("b/version");
        }
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "b/version", "one top folder");
    }

    [Fact]
    public void Open_ViewBeyondStorage_ThrowsNamingOffset()
    {
        using var dir = new TempDir();
        byte[] pkl = new PickleWriter().Proto().EmptyDict().Str("w").Tensor("0", 2, 1, [2], [1]).SetItem().Stop().ToArray();
        string path = dir.Path("oob.pth");
        PickleWriter.WriteZip(path, pkl, new Dictionary<string, byte[]> { ["0"] = PickleWriter.Floats(1, 2) });
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "archive/data.pkl offset ", "reaches element 2 of the 2-element storage '0'");
    }

    [Fact]
    public void Open_HugeExpandedView_Throws()
    {
        using var dir = new TempDir();
        byte[] pkl = new PickleWriter().Proto().EmptyDict().Str("w").Tensor("0", 1, 0, [1 << 20, 1 << 10], [0, 0]).SetItem().Stop().ToArray();
        string path = dir.Path("bomb.pth");
        PickleWriter.WriteZip(path, pkl, new Dictionary<string, byte[]> { ["0"] = PickleWriter.Floats(1) });
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "data.pkl offset ", "repeats the 1 elements");
    }

    [Fact]
    public void Open_CyclicPickle_Throws()
    {
        using var dir = new TempDir();
        // d = {}; d["self"] = d
        byte[] pkl = new PickleWriter().Proto().EmptyDict().Put(0).Str("self").Get(0).SetItem().Stop().ToArray();
        string path = dir.Path("cycle.pth");
        PickleWriter.WriteZip(path, pkl);
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), ": self:", "cycle");
    }

    [Fact]
    public void Open_RootNotADict_Throws()
    {
        using var dir = new TempDir();
        byte[] pkl = new PickleWriter().Proto().EmptyList().Stop().ToArray();
        string path = dir.Path("list.pth");
        PickleWriter.WriteZip(path, pkl);
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), "archive/data.pkl", "a list of 0, not a dict");
    }

    [Fact]
    public void Open_NoTensorsAnywhere_Throws()
    {
        using var dir = new TempDir();
        byte[] pkl = new PickleWriter().Proto().EmptyDict().Str("epoch").Int(3).SetItem().Stop().ToArray();
        string path = dir.Path("none.pth");
        PickleWriter.WriteZip(path, pkl);
        IoAssert.Throws(path, () => TorchCheckpoint.Open(path), ": root:", "no state_dict", "epoch");
    }

    [Fact]
    public void Read_IntegerStorageBeyondFloatPrecision_ThrowsNamingTensor()
    {
        using var dir = new TempDir();
        byte[] pkl = new PickleWriter().Proto().EmptyDict().Str("steps").Tensor("0", 1, 0, [1], [1], "LongStorage").SetItem().Stop().ToArray();
        string path = dir.Path("long.pth");
        PickleWriter.WriteZip(path, pkl, new Dictionary<string, byte[]> { ["0"] = BitConverter.GetBytes(1L << 30) });
        using TorchCheckpoint ckpt = TorchCheckpoint.Open(path);
        IoAssert.Throws(path, () => ckpt.GetTensor("steps"), ": steps:", "2^24");
    }
}
