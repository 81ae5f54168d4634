// Per-component checks against torch: each module is fed torch's own input for it, so a failure points at that
// module rather than at error accumulated upstream.

using Unravel.Models.Text;
using Unravel.Tensors;
using static Unravel.Models.Tests.Text.Gpt2Fixture;

namespace Unravel.Models.Tests.Text;

public sealed class Gpt2ComponentTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Attention_TorchInput_MatchesTorchAttnOut(int layer)
    {
        Gpt2 model = LoadTiny();
        Tensor y = model.H[layer].Attn.Forward(Get($"h.{layer}.ln_1"));
        ForwardClose(Get($"h.{layer}.attn"), y, $"h.{layer}.attn");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Mlp_TorchInput_MatchesTorchMlpOut(int layer)
    {
        Gpt2 model = LoadTiny();
        Tensor y = model.H[layer].Mlp.Forward(Get($"h.{layer}.ln_2"));
        ForwardClose(Get($"h.{layer}.mlp"), y, $"h.{layer}.mlp");
    }

    [Theory]
    [InlineData(0, "ln_1", "hook_resid_pre")]
    [InlineData(1, "ln_2", "hook_resid_mid")]
    public void LayerNorm_TorchInput_MatchesTorch(int layer, string ln, string input)
    {
        Gpt2 model = LoadTiny();
        Gpt2LayerNorm norm = ln == "ln_1" ? model.H[layer].Ln1 : model.H[layer].Ln2;
        ForwardClose(Get($"h.{layer}.{ln}"), norm.Forward(Get($"h.{layer}.{input}")), $"h.{layer}.{ln}");
    }

    [Fact]
    public void Block_TorchResidPre_MatchesTorchResidPost()
    {
        Gpt2 model = LoadTiny();
        Tensor y = model.H[1].Forward(Get("h.1.hook_resid_pre"));
        ForwardClose(Get("h.1.hook_resid_post"), y, "h.1.hook_resid_post");
    }

    [Fact]
    public void Attention_NotBTC_ThrowsNamingShape()
    {
        Gpt2 model = LoadTiny();
        var e = Assert.Throws<ArgumentException>(() => model.H[0].Attn.Forward(Tensor.Zeros(2, 16, 32)));
        Assert.Contains("[2, 16, 32]", e.Message);
        Assert.Contains("h.0.attn", e.Message);
    }
}
