// Whole-model checks against the torch reference of tools/fixtures/models_gpt2.py: logits, every hook activation,
// TransformerLens aliases, hook replacement, loss and parameter gradients.

using Unravel.Models.Text;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;
using static Unravel.Models.Tests.Text.Gpt2Fixture;

namespace Unravel.Models.Tests.Text;

public sealed class Gpt2ModelTests
{
    /// <summary>TransformerLens name → the fixture tensor (torch, recorded under our name) it must return.</summary>
    public static TheoryData<string, string> TransformerLensNames => new()
    {
        { "hook_embed", "wte" },
        { "hook_pos_embed", "wpe" },
        { "blocks.0.hook_resid_pre", "h.0.hook_resid_pre" },
        { "blocks.0.ln1.hook_normalized", "h.0.ln_1.hook_normalized" },
        { "blocks.0.attn.hook_z", "h.0.attn.hook_z" },
        { "blocks.0.hook_attn_out", "h.0.attn" },
        { "blocks.0.hook_resid_mid", "h.0.hook_resid_mid" },
        { "blocks.1.ln2.hook_normalized", "h.1.ln_2.hook_normalized" },
        { "blocks.1.mlp.hook_pre", "h.1.mlp.hook_pre" },
        { "blocks.1.mlp.hook_post", "h.1.mlp.hook_post" },
        { "blocks.1.hook_mlp_out", "h.1.mlp" },
        { "blocks.1.hook_resid_post", "h.1.hook_resid_post" },
        { "ln_final.hook_normalized", "ln_f.hook_normalized" },
    };

    [Fact]
    public void Forward_TinyFolder_MatchesTorchLogits()
    {
        Gpt2 model = LoadTiny();
        Tensor logits = model.Forward(Tokens, Batch, Seq);
        Assert.Equal([Batch, Seq, Config.Vocab], logits.Shape.ToArray());
        ForwardClose(Get("logits"), logits, "logits");
    }

    [Fact]
    public void RunWithCache_AllHooks_MatchTorchActivations()
    {
        Gpt2 model = LoadTiny();
        ActivationCache cache = model.RunWithCache(() => model.Forward(Tokens, Batch, Seq), "**");
        string[] hookNames = Expected.Keys.Where(k => k != "logits" && k != "loss" && !k.StartsWith("grad.", StringComparison.Ordinal)
            && !k.StartsWith("zeroed", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2 + 12 * Config.Layers + 2, hookNames.Length);
        foreach (string name in hookNames) ForwardClose(Get(name), cache[name], name);
        ForwardClose(Get("logits"), cache.Output, "logits");
    }

    [Theory]
    [MemberData(nameof(TransformerLensNames))]
    public void RunWithCache_TransformerLensName_ReturnsOurTensor(string tlName, string ourName)
    {
        Gpt2 model = LoadTiny();
        ActivationCache cache = model.RunWithCache(() => model.Forward(Tokens, Batch, Seq), tlName);
        Assert.Equal([ourName], cache.Names);
        Assert.Same(cache[ourName], cache[tlName]);
        ForwardClose(Get(ourName), cache[tlName], tlName);
    }

    [Fact]
    public void RunWithCache_TransformerLensGlob_CapturesEveryLayer()
    {
        Gpt2 model = LoadTiny();
        ActivationCache cache = model.RunWithCache(() => model.Forward(Tokens, Batch, Seq), "blocks.*.mlp.hook_post", "blocks.*.ln2.hook_normalized");
        Assert.Equal(["h.0.ln_2.hook_normalized", "h.0.mlp.hook_post", "h.1.ln_2.hook_normalized", "h.1.mlp.hook_post"], cache.Names.Order());
        for (int l = 0; l < 2; l++)
        {
            ForwardClose(Get($"h.{l}.mlp.hook_post"), cache[$"blocks.{l}.mlp.hook_post"], $"blocks.{l}.mlp.hook_post");
            ForwardClose(Get($"h.{l}.ln_2.hook_normalized"), cache[$"blocks.{l}.ln2.hook_normalized"], $"blocks.{l}.ln2.hook_normalized");
        }
    }

    [Fact]
    public void Hook_ZeroMlpPostLayer0_MatchesTorchWithThatMlpZeroed()
    {
        Gpt2 model = LoadTiny();
        Tensor clean = model.Forward(Tokens, Batch, Seq);
        Tensor zeroed;
        using (model.Hooks.Add("blocks.0.mlp.hook_post", (_, t) => Tensor.Zeros(t.Shape.ToArray())))
            zeroed = model.Forward(Tokens, Batch, Seq);
        Assert.Equal(0, model.Hooks.Count);
        ForwardClose(Get("zeroed_mlp_post_0.logits"), zeroed, "zeroed logits");
        double change = clean.ToArray().Zip(zeroed.ToArray(), (a, b) => Math.Abs(a - b)).Max();
        Assert.True(change > 0.1, $"zeroing the layer-0 MLP changed logits by only {change}");
    }

    [Fact]
    public void Forward_WithPassiveHooks_IsBitIdenticalToWithout()
    {
        // Hooks switch layer norms to their unfused path (normalise, multiply, add); it must give the same bits.
        Gpt2 model = LoadTiny();
        float[] plain = model.Forward(Tokens, Batch, Seq).ToArray();
        float[] hooked;
        using (model.Hooks.Add("**.hook_normalized", (string _, Tensor _) => { }))
            hooked = model.Forward(Tokens, Batch, Seq).ToArray();
        Assert.Equal(plain, hooked);
    }

    [Fact]
    public void Hook_ReplaceLnNormalized_ChangesOnlyDownstream()
    {
        // ln_f.hook_normalized replaced by zeros → ln_f output = β → logits[b, t, v] = β · wte[v] for every position.
        Gpt2 model = LoadTiny();
        Tensor logits;
        using (model.Hooks.Add("ln_final.hook_normalized", (_, t) => Tensor.Zeros(t.Shape.ToArray())))
            logits = model.Forward(Tokens, Batch, Seq);
        Tensor beta = model.LnF.B.Value, wte = model.Wte.W.Value;
        for (int v = 0; v < Config.Vocab; v += 37)
        {
            float expected = 0;
            for (int c = 0; c < Config.Embd; c++) expected += beta[c] * wte[v, c];
            Assert.Equal(expected, logits[1, 5, v], 1e-4f);
        }
    }

    [Fact]
    public void Backward_CrossEntropy_MatchesTorchLossAndParameterGradients()
    {
        Gpt2 model = LoadTiny();
        using var tape = new Tape();
        foreach (Parameter p in model.Parameters()) tape.Watch(p.Value);
        Tensor loss = Ops.CrossEntropy(model.Forward(Tokens, Batch, Seq), Targets);
        ForwardClose(Get("loss"), loss.Reshape(1), "loss");
        GradStore grads = tape.Backward(loss);
        int checkedCount = 0;
        foreach (Parameter p in model.Parameters())
        {
            Tensor expected = Get("grad." + p.Path);
            if (Gpt2Checkpoint.IsConv1DWeight(p.Path)) expected = Ops.Transpose(expected, 0, 1);   // torch keeps [in, out]
            Assert.True(grads.TryGet(p.Value, out Tensor? g), $"no gradient for {p.Path}");
            Close(expected, g, GradAtol, GradRtol, "grad " + p.Path);
            checkedCount++;
        }
        Assert.Equal(4 + 12 * Config.Layers, checkedCount);
    }

    [Fact]
    public void AllHookNames_ListOurPoints()
    {
        Gpt2 model = LoadTiny();
        foreach (string name in new[] { "wte", "wpe", "h.0.hook_resid_pre", "h.0.ln_1.hook_normalized", "h.0.ln_1", "h.0.attn.c_attn",
                     "h.0.attn.hook_z", "h.0.attn", "h.1.hook_resid_mid", "h.1.mlp.hook_pre", "h.1.mlp.hook_post", "h.1.mlp",
                     "h.1.hook_resid_post", "ln_f.hook_normalized", "ln_f" })
            Assert.Contains(name, model.AllHookNames);
    }

    [Fact]
    public void Hook_UnknownTransformerLensName_ThrowsListingValidNames()
    {
        Gpt2 model = LoadTiny();
        var e = Assert.Throws<HookNotFoundException>(() => model.Hooks.Add("blocks.0.attn.hook_pattern", (string _, Tensor _) => { }));
        Assert.Contains("blocks.0.attn.hook_pattern", e.Message);
        Assert.Contains("h.0.mlp.hook_post", e.Hint);
    }

    [Fact]
    public void Initialize_TinyConfig_UsesGpt2InitAndRuns()
    {
        var model = new Gpt2(WeightSource.Initialize(3), Config);
        Assert.InRange(Std(model.H[0].Mlp.CFc.W.Value), 0.018, 0.022);
        Assert.InRange(Std(model.H[0].Mlp.CProj.W.Value), 0.009, 0.011);     // 0.02 / √(2·2)
        Assert.InRange(Std(model.Wte.W.Value), 0.018, 0.022);
        Assert.All(model.H[1].Attn.CAttn.B!.Value.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(model.LnF.W.Value.ToArray(), v => Assert.Equal(1f, v));
        Tensor logits = model.Forward(Tokens, Batch, Seq);
        Assert.All(logits.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(Config.ParameterCount, model.Parameters().Sum(p => (long)p.Value.Length));
    }

    [Theory]
    [InlineData(31, 2, 16, "31 tokens")]
    [InlineData(130, 2, 65, "exceeds the context 64")]
    public void Forward_BadShape_Throws(int count, int batch, int seq, string fragment)
    {
        Gpt2 model = LoadTiny();
        var e = Assert.Throws<ArgumentException>(() => model.Forward(new int[count], batch, seq));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void Forward_TokenOutOfVocabulary_ThrowsNamingPosition()
    {
        Gpt2 model = LoadTiny();
        int[] tokens = Tokens;
        tokens[19] = 512;
        var e = Assert.Throws<ModelInputException>(() => model.Forward(tokens, Batch, Seq));
        Assert.Contains("token id 512 at [1, 3]", e.Message);
    }

    private static double Std(Tensor t)
    {
        double mean = t.ToArray().Average(v => (double)v);
        return Math.Sqrt(t.ToArray().Average(v => (v - mean) * (v - mean)));
    }
}
