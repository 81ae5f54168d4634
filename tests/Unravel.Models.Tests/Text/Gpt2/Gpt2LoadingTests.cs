// Loading GPT-2 checkpoints: Hugging Face folders (safetensors and pytorch_model.bin with GPT2LMHeadModel keys), bare
// files with an explicit config, strict errors, saving back to the Hugging Face layout, config.json and the registry.

using System.Text.Json;
using Unravel.IO;
using Unravel.Models.Text;
using Unravel.Nn;
using Unravel.Tensors;
using static Unravel.Models.Tests.Text.Gpt2Fixture;

namespace Unravel.Models.Tests.Text;

public sealed class Gpt2LoadingTests
{
    [Fact]
    public void Load_PytorchBinWithPrefixLmHeadAndMaskBuffers_MatchesTorchLogits()
    {
        Gpt2 model = Gpt2.Load(LmHeadFolder);
        ForwardClose(Get("logits"), model.Forward(Tokens, Batch, Seq), "logits (pytorch_model.bin)");
        Gpt2 reference = LoadTiny();
        foreach (Parameter p in reference.Parameters())
            Assert.Equal(p.Value.ToArray(), model.StateDict()[p.Path].ToArray());
    }

    [Fact]
    public void Load_SingleFilesWithConfig_LoadBothFormats()
    {
        Gpt2 fromSafeTensors = Gpt2.Load(Path.Combine(SafeTensorsFolder, "model.safetensors"), Config);
        Gpt2 fromBin = Gpt2.Load(Path.Combine(LmHeadFolder, "pytorch_model.bin"), Config);
        ForwardClose(Get("logits"), fromSafeTensors.Forward(Tokens, Batch, Seq), "logits (model.safetensors)");
        ForwardClose(Get("logits"), fromBin.Forward(Tokens, Batch, Seq), "logits (pytorch_model.bin)");
    }

    [Fact]
    public void Load_SingleFileWithoutConfig_ThrowsAskingForConfig()
    {
        var e = Assert.Throws<ArgumentException>(() => Gpt2.Load(Path.Combine(SafeTensorsFolder, "model.safetensors")));
        Assert.Contains("Gpt2Config", e.Message);
    }

    [Fact]
    public void Load_FolderWithContradictingConfig_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Gpt2.Load(SafeTensorsFolder, Config with { Heads = 8 }));
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void FromTensors_MissingKey_ThrowsListingIt()
    {
        Dictionary<string, Tensor> raw = RawTensors();
        raw.Remove("h.1.mlp.c_fc.bias");
        var e = Assert.Throws<WeightMismatchException>(() => Gpt2.FromTensors(raw, Config, "tiny"));
        Assert.Equal(["h.1.mlp.c_fc.bias"], e.Missing);
        Assert.Empty(e.Unexpected);
        Assert.Contains("h.1.mlp.c_fc.bias", e.Message);
    }

    [Fact]
    public void FromTensors_MisshapedConv1D_ThrowsWithCheckpointOrientation()
    {
        Dictionary<string, Tensor> raw = RawTensors();
        raw["h.1.mlp.c_fc.weight"] = Tensor.Zeros(64, 100);              // [in, out]; the model expects [64, 256]
        var e = Assert.Throws<WeightMismatchException>(() => Gpt2.FromTensors(raw, Config, "tiny"));
        string entry = Assert.Single(e.Misshaped);
        Assert.StartsWith("h.1.mlp.c_fc.weight: checkpoint [64, 100], model expects [64, 256]", entry);
        Assert.Contains("h.1.mlp.c_fc.weight", e.Message);
        Assert.Empty(e.Missing);
    }

    [Fact]
    public void FromTensors_WrongPreset_ListsEveryMisshapedKey()
    {
        // The tiny checkpoint into a wider model: every tensor with a C dimension is reported, none missing.
        var e = Assert.Throws<WeightMismatchException>(() => Gpt2.FromTensors(RawTensors(), Config with { Embd = 128 }, "tiny"));
        Assert.Equal(4 + 12 * Config.Layers, e.Misshaped.Count);
        Assert.Contains(e.Misshaped, m => m.StartsWith("h.0.attn.c_attn.weight: checkpoint [64, 192], model expects [128, 384]", StringComparison.Ordinal));
        Assert.Contains(e.Misshaped, m => m.StartsWith("wte.weight: checkpoint [512, 64], model expects [512, 128]", StringComparison.Ordinal));
    }

    [Fact]
    public void FromTensors_UnexpectedKey_ThrowsListingIt()
    {
        Dictionary<string, Tensor> raw = RawTensors();
        raw["h.0.attn.rotary.weight"] = Tensor.Zeros(4);
        var e = Assert.Throws<WeightMismatchException>(() => Gpt2.FromTensors(raw, Config, "tiny"));
        Assert.Equal(["h.0.attn.rotary.weight"], e.Unexpected);
    }

    [Fact]
    public void FromTensors_PrefixedKeysTiedHeadAndMaskBuffers_Load()
    {
        var raw = RawTensors().ToDictionary(kv => "transformer." + kv.Key, kv => kv.Value);
        raw["lm_head.weight"] = raw["transformer.wte.weight"].Clone();
        raw["transformer.h.0.attn.bias"] = Tensor.Zeros(1, 1, 64, 64);
        raw["transformer.h.1.attn.masked_bias"] = Tensor.Scalar(-1e4f);
        Gpt2 model = Gpt2.FromTensors(raw, Config, "prefixed");
        ForwardClose(Get("logits"), model.Forward(Tokens, Batch, Seq), "logits (prefixed)");
    }

    [Fact]
    public void FromTensors_UntiedLmHead_ThrowsCheckpointFormat()
    {
        Dictionary<string, Tensor> raw = RawTensors();
        Tensor head = raw["wte.weight"].Clone();
        head.Data[7] += 1f;
        raw["lm_head.weight"] = head;
        var e = Assert.Throws<CheckpointFormatException>(() => Gpt2.FromTensors(raw, Config, "tiny"));
        Assert.Equal("lm_head.weight", e.Where);
    }

    [Fact]
    public void FromTensors_BothKeySpellings_ThrowsCheckpointFormat()
    {
        Dictionary<string, Tensor> raw = RawTensors();
        raw["transformer.ln_f.bias"] = raw["ln_f.bias"];
        var e = Assert.Throws<CheckpointFormatException>(() => Gpt2.FromTensors(raw, Config, "tiny"));
        Assert.Contains("ln_f.bias", e.Message);
    }

    [Fact]
    public void Save_ThenLoad_RoundTripsHuggingFaceLayout()
    {
        string folder = Path.Combine(Path.GetTempPath(), "unravel-gpt2-" + Guid.NewGuid().ToString("N"));
        try
        {
            Gpt2 model = LoadTiny();
            model.Save(folder);
            Dictionary<string, Tensor> original = RawTensors();
            using (SafeTensors saved = SafeTensors.Read(Path.Combine(folder, "model.safetensors")))
            {
                Assert.Equal(original.Keys.Order(), saved.Names.Order());
                foreach (string key in original.Keys)
                {
                    Tensor t = saved.GetTensor(key);
                    Assert.Equal(original[key].Shape.ToArray(), t.Shape.ToArray());     // Conv1D back to [in, out]
                    Assert.Equal(original[key].ToArray(), t.ToArray());
                }
            }
            Gpt2 reloaded = Gpt2.Load(folder);
            Assert.Equal(Config, reloaded.Config);
            Assert.Equal(model.Forward(Tokens, Batch, Seq).ToArray(), reloaded.Forward(Tokens, Batch, Seq).ToArray());
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ConfigFromHuggingFace_FixtureConfig_ReadsFields()
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(SafeTensorsFolder, "config.json")));
        Gpt2Config config = Gpt2Config.FromHuggingFace(json.RootElement, "config.json");
        Assert.Equal(Config, config);
        Assert.Equal(256, config.Inner);
        Assert.Equal(1e-5f, config.LayerNormEps);
        Assert.Equal(GeluApproximation.Tanh, config.Activation);
        using JsonDocument again = JsonDocument.Parse(config.ToHuggingFaceJson());
        Assert.Equal(config, Gpt2Config.FromHuggingFace(again.RootElement, "round trip"));
    }

    [Theory]
    [InlineData("""{"model_type":"gpt_neo","vocab_size":8,"n_positions":4,"n_layer":1,"n_head":1,"n_embd":4}""", "model_type")]
    [InlineData("""{"vocab_size":8,"n_positions":4,"n_layer":1,"n_head":1}""", "n_embd")]
    [InlineData("""{"vocab_size":8,"n_positions":4,"n_layer":1,"n_head":3,"n_embd":4}""", "divisible")]
    [InlineData("""{"vocab_size":8,"n_positions":4,"n_layer":1,"n_head":1,"n_embd":4,"activation_function":"relu"}""", "activation_function")]
    [InlineData("""{"vocab_size":8,"n_positions":4,"n_layer":1,"n_head":1,"n_embd":4,"scale_attn_by_inverse_layer_idx":true}""", "scale_attn_by_inverse_layer_idx")]
    [InlineData("""{"vocab_size":"8","n_positions":4,"n_layer":1,"n_head":1,"n_embd":4}""", "vocab_size")]
    public void ConfigFromHuggingFace_Unsupported_ThrowsNamingField(string json, string field)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        var e = Assert.Throws<CheckpointFormatException>(() => Gpt2Config.FromHuggingFace(doc.RootElement, "config.json"));
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void ParameterCount_Presets_MatchPublishedSizes()
    {
        Assert.Equal(124_439_808, Gpt2Config.Small.ParameterCount);
        Assert.Equal(354_823_168, Gpt2Config.Medium.ParameterCount);
        Assert.Equal(774_030_080, Gpt2Config.Large.ParameterCount);
        Assert.Equal(1_557_611_200, Gpt2Config.Xl.ParameterCount);
    }

    [Fact]
    public void Registry_Gpt2Presets_PrepareWeightsLoadsHuggingFaceLayout()
    {
        foreach (string name in new[] { "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl" })
            Assert.Equal("gpt2", ModelRegistry.Get(name).Family);
        Architecture arch = ModelRegistry.Get("gpt2");
        Assert.NotNull(arch.PrepareWeights);
        // The registry's generic loading steps, with the tiny config in place of arch.Create's preset.
        WeightSource ws = WeightSource.FromTensors(arch.PrepareWeights(RawTensors(), "tiny"), "tiny");
        var model = new Gpt2(ws, Config);
        ws.Complete([.. arch.IgnoredKeys]);
        ForwardClose(Get("logits"), model.Forward(Tokens, Batch, Seq), "logits (registry path)");
    }
}
