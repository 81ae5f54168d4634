// Fully connected layer, PyTorch layout: weight [Out, In], bias [Out].

namespace Unravel.Nn.Layers;

/// <summary>y = x · Wᵀ + b over the last dimension.</summary>
public sealed class Linear : Module
{
    /// <param name="ws">Weight source positioned at this layer.</param>
    /// <param name="inFeatures">In.</param>
    /// <param name="outFeatures">Out.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    /// <param name="weightInit">Initialiser when not loading; PyTorch's default when null.</param>
    /// <param name="biasInit">Bias initialiser when not loading; PyTorch's default when null.</param>
    public Linear(WeightSource ws, int inFeatures, int outFeatures, bool bias = true, Init? weightInit = null, Init? biasInit = null)
        : base(ws)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        W = Weight(ws, "weight", [outFeatures, inFeatures], weightInit ?? Init.TorchDefault(inFeatures));
        B = bias ? Weight(ws, "bias", [outFeatures], biasInit ?? Init.TorchDefault(inFeatures)) : null;
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }

    /// <summary>[Out, In].</summary>
    public Parameter W { get; }

    /// <summary>[Out], or null.</summary>
    public Parameter? B { get; }

    public Tensor Forward(Tensor x) => Output(Own(Ops.Linear(x, W.Value, B?.Value))); // [..., In] → [..., Out]
}
