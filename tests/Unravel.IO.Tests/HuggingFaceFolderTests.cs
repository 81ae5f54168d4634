// Hugging Face folders: config.json plus model.safetensors, pytorch_model.bin or an index of shards; broken
// folders fail naming the file and key.

using Unravel.IO.Tests.Support;
using Unravel.Tensors;

namespace Unravel.IO.Tests;

public sealed class HuggingFaceFolderTests
{
    [Theory]
    [InlineData("hf/hf_safetensors", 1)]
    [InlineData("hf/hf_bin", 1)]
    [InlineData("hf/hf_sharded", 2)]
    public void Open_Folder_ReadsConfigAndWeights(string folder, int files)
    {
        using HuggingFaceFolder hf = HuggingFaceFolder.Open(FixtureFiles.Path(folder));
        Assert.Equal(4, hf.Config.RootElement.GetProperty("n_embd").GetInt32());
        Assert.Equal("gpt2", hf.Config.RootElement.GetProperty("model_type").GetString());
        Assert.Equal(files, hf.WeightFiles.Count);
        IReadOnlyDictionary<string, Tensor> expected = FixtureFiles.Expected("hf");
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), hf.Names.Order(StringComparer.Ordinal));
        foreach ((string name, Tensor e) in expected)
        {
            Assert.Equal(e.Shape.ToArray(), hf.GetShape(name));
            IoAssert.Identical(e, hf.GetTensor(name), $"{folder}:{name}");
        }
        Assert.Equal(hf.Names, hf.ReadAll().Keys);
    }

    private static string CopyFolder(TempDir dir, string folder)
    {
        string target = dir.Path("model");
        Directory.CreateDirectory(target);
        foreach (string f in Directory.GetFiles(FixtureFiles.Path(folder)))
            File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
        return target;
    }

    [Fact]
    public void Open_MissingConfig_Throws()
    {
        using var dir = new TempDir();
        string folder = CopyFolder(dir, "hf/hf_safetensors");
        File.Delete(Path.Combine(folder, "config.json"));
        IoAssert.Throws(folder, () => HuggingFaceFolder.Open(folder), "config.json", "huggingface-cli download");
    }

    [Fact]
    public void Open_InvalidConfigJson_ThrowsNamingLine()
    {
        using var dir = new TempDir();
        string folder = CopyFolder(dir, "hf/hf_safetensors");
        string config = Path.Combine(folder, "config.json");
        File.WriteAllText(config, "{\n  \"n_embd\": 4,\n  oops\n}");
        IoAssert.Throws(config, () => HuggingFaceFolder.Open(folder), "line 3", "invalid JSON");
    }

    [Fact]
    public void Open_NoWeights_ThrowsListingExpectedNames()
    {
        using var dir = new TempDir();
        string folder = CopyFolder(dir, "hf/hf_safetensors");
        File.Delete(Path.Combine(folder, "model.safetensors"));
        IoAssert.Throws(folder, () => HuggingFaceFolder.Open(folder), "weights", "model.safetensors", "pytorch_model.bin");
    }

    [Fact]
    public void Open_IndexEscapingTheFolder_Throws()
    {
        using var dir = new TempDir();
        string folder = CopyFolder(dir, "hf/hf_sharded");
        string index = Path.Combine(folder, "model.safetensors.index.json");
        File.WriteAllText(index, """{"weight_map": {"wte.weight": "../secret.safetensors"}}""");
        IoAssert.Throws(index, () => HuggingFaceFolder.Open(folder), "wte.weight", "not a plain file name");
    }

    [Fact]
    public void Open_IndexNamingAbsentKey_ThrowsNamingShard()
    {
        using var dir = new TempDir();
        string folder = CopyFolder(dir, "hf/hf_sharded");
        string index = Path.Combine(folder, "model.safetensors.index.json");
        File.WriteAllText(index, """{"weight_map": {"lm_head.weight": "model-00001-of-00002.safetensors"}}""");
        string shard = Path.Combine(folder, "model-00001-of-00002.safetensors");
        IoAssert.Throws(shard, () => HuggingFaceFolder.Open(folder), "lm_head.weight", "lacks it");
    }

    [Fact]
    public void Open_IndexWithMissingShard_Throws()
    {
        using var dir = new TempDir();
        string folder = CopyFolder(dir, "hf/hf_sharded");
        File.Delete(Path.Combine(folder, "model-00002-of-00002.safetensors"));
        string index = Path.Combine(folder, "model.safetensors.index.json");
        IoAssert.Throws(index, () => HuggingFaceFolder.Open(folder), "ln_f.weight", "missing from the folder");
    }

    [Fact]
    public void Open_IndexWithoutWeightMap_Throws()
    {
        using var dir = new TempDir();
        string folder = CopyFolder(dir, "hf/hf_sharded");
        string index = Path.Combine(folder, "model.safetensors.index.json");
        File.WriteAllText(index, """{"metadata": {}}""");
        IoAssert.Throws(index, () => HuggingFaceFolder.Open(folder), "weight_map");
    }

    [Fact]
    public void Open_MissingFolder_ThrowsDirectoryNotFound()
    {
        Assert.Throws<DirectoryNotFoundException>(() => HuggingFaceFolder.Open("/nonexistent/unravel/model"));
    }
}
