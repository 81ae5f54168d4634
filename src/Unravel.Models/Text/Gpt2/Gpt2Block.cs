// One pre-LN GPT-2 block: x += attn(ln_1(x)); x += mlp(ln_2(x)).
// Reference: transformers models/gpt2/modeling_gpt2.py (GPT2Block); TransformerLens components/transformer_block.py.

namespace Unravel.Models.Text;

/// <summary>Transformer block "h.{l}".</summary>
/// <remarks>Hooks: "&lt;path&gt;.hook_resid_pre" (block input), "&lt;path&gt;.hook_resid_mid" (after the attention residual),
/// "&lt;path&gt;.hook_resid_post" (after the MLP residual) and "&lt;path&gt;" (the output, equal to resid_post), plus those
/// of ln_1, attn, ln_2 and mlp.</remarks>
public sealed class Gpt2Block : Module
{
    public Gpt2Block(WeightSource ws, Gpt2Config config) : base(ws)
    {
        Ln1 = Child(new Gpt2LayerNorm(ws.At("ln_1"), config.Embd, config.LayerNormEps));
        Attn = Child(new Gpt2Attention(ws.At("attn"), config));
        Ln2 = Child(new Gpt2LayerNorm(ws.At("ln_2"), config.Embd, config.LayerNormEps));
        Mlp = Child(new Gpt2Mlp(ws.At("mlp"), config));
    }

    public Gpt2LayerNorm Ln1 { get; }
    public Gpt2Attention Attn { get; }
    public Gpt2LayerNorm Ln2 { get; }
    public Gpt2Mlp Mlp { get; }

    protected override IEnumerable<string> InternalHookPoints => ["hook_resid_pre", "hook_resid_mid", "hook_resid_post"];

    /// <summary>[B, T, C] → [B, T, C].</summary>
    public Tensor Forward(Tensor x)
    {
        x = Hook("hook_resid_pre", x);                                         // [B, T, C]
        Tensor a = Sublayer(Ln1, Attn.Forward, x);                             // [B, T, C]
        Tensor mid = Hook("hook_resid_mid", x + a);                            // [B, T, C]
        ReleaseIntermediate(a);
        Tensor m = Sublayer(Ln2, Mlp.Forward, mid);                            // [B, T, C]
        Tensor post = Hook("hook_resid_post", mid + m);                        // [B, T, C]
        ReleaseIntermediate(m);
        ReleaseIntermediate(mid);
        return Output(post);
    }

    /// <summary>f(ln(x)), giving the normalised input back to the arena once f has consumed it.</summary>
    private Tensor Sublayer(Gpt2LayerNorm ln, Func<Tensor, Tensor> f, Tensor x)
    {
        Tensor h = ln.Forward(x);                                              // [B, T, C]
        Tensor y = f(h);                                                       // [B, T, C]
        ReleaseIntermediate(h);
        return y;
    }
}
