// One pre-LN encoder block of torchvision's ViT: x += attn(ln_1(x)); x += mlp(ln_2(x)).
// Hooks (TransformerLens names under the block path): "hook_resid_pre", "hook_attn_out", "hook_resid_mid",
// "hook_mlp_out", "hook_resid_post" (equal to the block output "<path>").
// Reference: torchvision/models/vision_transformer.py (EncoderBlock).

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>Encoder block "encoder.layers.encoder_layer_{l}".</summary>
public sealed class ViTBlock : Module
{
    public ViTBlock(WeightSource ws, ViTConfig config) : base(ws)
    {
        Ln1 = Child(new LayerNorm(ws.At("ln_1"), config.Hidden, config.LayerNormEps));
        Attention = Child(new ViTAttention(ws.At("self_attention"), config));
        Ln2 = Child(new LayerNorm(ws.At("ln_2"), config.Hidden, config.LayerNormEps));
        Mlp = Child(new ViTMlp(ws.At("mlp"), config));
    }

    public LayerNorm Ln1 { get; }

    public ViTAttention Attention { get; }

    public LayerNorm Ln2 { get; }

    public ViTMlp Mlp { get; }

    protected override IEnumerable<string> InternalHookPoints =>
        ["hook_resid_pre", "hook_attn_out", "hook_resid_mid", "hook_mlp_out", "hook_resid_post"];

    /// <summary>[N, T, D] → [N, T, D].</summary>
    public Tensor Forward(Tensor x)
    {
        x = Hook("hook_resid_pre", x);                                              // [N, T, D]
        x = Hook("hook_resid_mid", x + Hook("hook_attn_out", Attention.Forward(Ln1.Forward(x)))); // [N, T, D]
        x = Hook("hook_resid_post", x + Hook("hook_mlp_out", Mlp.Forward(Ln2.Forward(x))));       // [N, T, D]
        return Output(x);
    }
}
