// Fully connected layer, PyTorch layout: weight [Out, In], bias [Out].

namespace Unravel.Nn.Layers;

/// <summary>y = x · Wᵀ + b over the last dimension.</summary>
public sealed class Linear : Module
{
    public Linear(WeightSource ws, int inFeatures, int outFeatures, bool bias = true) : base(ws)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        W = Weight(ws, "weight", [outFeatures, inFeatures], Init.TorchDefault(inFeatures));
        B = bias ? Weight(ws, "bias", [outFeatures], Init.TorchDefault(inFeatures)) : null;
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }

    /// <summary>[Out, In].</summary>
    public Parameter W { get; }

    /// <summary>[Out], or null.</summary>
    public Parameter? B { get; }

    public Tensor Forward(Tensor x) => Output(Own(Ops.Linear(x, W.Value, B?.Value))); // [..., In] → [..., Out]
}
