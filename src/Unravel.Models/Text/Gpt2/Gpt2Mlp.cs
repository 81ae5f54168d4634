// GPT-2 feed-forward block: c_fc (C → 4C), GELU (tanh approximation, "gelu_new"), c_proj (4C → C).
// Reference: transformers models/gpt2/modeling_gpt2.py (GPT2MLP); activations.py (NewGELUActivation).

using Unravel.Nn.Layers;

namespace Unravel.Models.Text;

/// <summary>The MLP of one GPT-2 block, with Hugging Face's module names (c_fc, c_proj).</summary>
/// <remarks>Hooks: "&lt;path&gt;.c_fc", "&lt;path&gt;.hook_pre" (c_fc output before GELU, TransformerLens mlp.hook_pre),
/// "&lt;path&gt;.hook_post" (after GELU: the neuron activations, mlp.hook_post), "&lt;path&gt;.c_proj" and "&lt;path&gt;" (the
/// output, hook_mlp_out).</remarks>
public sealed class Gpt2Mlp : Module
{
    /// <summary>Binds c_fc [4C, C] and c_proj [C, 4C] (Linear layout).</summary>
    public Gpt2Mlp(WeightSource ws, Gpt2Config config) : base(ws)
    {
        Activation = config.Activation;
        CFc = Child(new Linear(ws.At("c_fc"), config.Embd, config.Inner,
            weightInit: Init.Normal(config.InitializerRange), biasInit: Init.Zeros));
        CProj = Child(new Linear(ws.At("c_proj"), config.Inner, config.Embd,
            weightInit: Gpt2.ResidualInit(config), biasInit: Init.Zeros));
    }

    public GeluApproximation Activation { get; }

    /// <summary>[4C, C].</summary>
    public Linear CFc { get; }

    /// <summary>[C, 4C].</summary>
    public Linear CProj { get; }

    protected override IEnumerable<string> InternalHookPoints => ["hook_pre", "hook_post"];

    /// <summary>[..., C] → [..., C].</summary>
    public Tensor Forward(Tensor x)
    {
        Tensor pre = Hook("hook_pre", CFc.Forward(x));                        // [B, T, 4C]
        Tensor post = Hook("hook_post", Own(Ops.Gelu(pre, Activation)));      // [B, T, 4C]
        ReleaseIntermediate(pre);
        Tensor y = CProj.Forward(post);                                       // [B, T, C]
        ReleaseIntermediate(post);
        return Output(y);
    }
}
