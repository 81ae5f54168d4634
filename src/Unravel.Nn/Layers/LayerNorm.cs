// Layer normalisation over the last dimension (torch.nn.LayerNorm(C)).

namespace Unravel.Nn.Layers;

/// <summary>torch.nn.LayerNorm over the last dimension, with weight and bias.</summary>
public sealed class LayerNorm : Module
{
    public LayerNorm(WeightSource ws, int features, float eps = 1e-5f) : base(ws)
    {
        Eps = eps;
        W = Weight(ws, "weight", [features], Init.Ones);
        B = Weight(ws, "bias", [features], Init.Zeros);
    }

    public float Eps { get; }
    public Parameter W { get; }
    public Parameter B { get; }

    public Tensor Forward(Tensor x) => Output(Own(Ops.LayerNorm(x, W.Value, B.Value, Eps))); // [..., C] → same
}
