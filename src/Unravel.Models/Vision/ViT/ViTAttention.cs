// torchvision's nn.MultiheadAttention inside an encoder block, bidirectional (no mask): q, k, v from one packed
// projection (in_proj_weight [3D, D], in_proj_bias [3D]), softmax(q·kᵀ/√Dh)·v per head, then out_proj.
// Hooks: "hook_pattern" [N, H, T, T] (attention probabilities) and "hook_z" [N, T, D] (heads concatenated).
// Reference: Vaswani et al. 2017, "Attention Is All You Need", Section 3.2; torch.nn.MultiheadAttention.

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>Multi-head self-attention "encoder.layers.encoder_layer_{l}.self_attention". Letters: N, T tokens, D, H heads.</summary>
public sealed class ViTAttention : Module
{
    public ViTAttention(WeightSource ws, ViTConfig config) : base(ws)
    {
        Heads = config.Heads;
        int d = config.Hidden;
        InProjWeight = Weight(ws, "in_proj_weight", [3 * d, d], Init.TorchDefault(d));
        InProjBias = Weight(ws, "in_proj_bias", [3 * d], Init.Zeros);
        OutProj = Child(new Linear(ws.At("out_proj"), d, d));
    }

    public int Heads { get; }

    public Parameter InProjWeight { get; }

    public Parameter InProjBias { get; }

    public Linear OutProj { get; }

    protected override IEnumerable<string> InternalHookPoints => ["hook_pattern", "hook_z"];

    /// <summary>[N, T, D] → [N, T, D].</summary>
    public Tensor Forward(Tensor x)
    {
        int n = x.Dim(0), t = x.Dim(1), d = x.Dim(2), dh = d / Heads;
        Tensor qkv = Ops.Linear(x, InProjWeight.Value, InProjBias.Value);                      // [N, T, 3D]
        Tensor q = SplitHeads(Ops.Slice(qkv, 2, 0, d), n, t, dh);                              // [N, H, T, Dh]
        Tensor k = SplitHeads(Ops.Slice(qkv, 2, d, 2 * d), n, t, dh);                          // [N, H, T, Dh]
        Tensor v = SplitHeads(Ops.Slice(qkv, 2, 2 * d, 3 * d), n, t, dh);                      // [N, H, T, Dh]
        Tensor scores = Ops.Mul(Ops.MatMul(q, Ops.Transpose(k, 2, 3)), Tensor.Scalar(1f / MathF.Sqrt(dh))); // [N, H, T, T]
        Tensor pattern = Hook("hook_pattern", Ops.Softmax(scores, -1));                         // [N, H, T, T]
        Tensor z = Ops.Reshape(Ops.Transpose(Ops.MatMul(pattern, v), 1, 2), n, t, d);   // [N, T, D]
        z = Hook("hook_z", z);
        return Output(OutProj.Forward(z));                                                      // [N, T, D]
    }

    private Tensor SplitHeads(Tensor x, int n, int t, int dh) => Ops.Transpose(Ops.Reshape(x, n, t, Heads, dh), 1, 2);
}
