// torchvision's MLPBlock: Linear "0" (D → M), exact GELU, Linear "3" (M → D); indices 1, 2, 4 are the activation and
// dropouts, which hold no weights. Hooks (TransformerLens names): "hook_pre" (before GELU), "hook_post" (after).

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>The MLP "encoder.layers.encoder_layer_{l}.mlp".</summary>
public sealed class ViTMlp : Module
{
    public ViTMlp(WeightSource ws, ViTConfig config) : base(ws)
    {
        Fc1 = Child(new Linear(ws.At(0), config.Hidden, config.Mlp));
        Fc2 = Child(new Linear(ws.At(3), config.Mlp, config.Hidden));
    }

    public Linear Fc1 { get; }

    public Linear Fc2 { get; }

    protected override IEnumerable<string> InternalHookPoints => ["hook_pre", "hook_post"];

    /// <summary>[N, T, D] → [N, T, D].</summary>
    public Tensor Forward(Tensor x)
    {
        Tensor h = Hook("hook_pre", Fc1.Forward(x));                        // [N, T, M]
        h = Hook("hook_post", Ops.Gelu(h, GeluApproximation.Erf));          // [N, T, M]
        return Output(Fc2.Forward(h));                                      // [N, T, D]
    }
}
