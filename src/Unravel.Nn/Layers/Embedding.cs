// Token embedding table (torch.nn.Embedding): weight [V, C].

namespace Unravel.Nn.Layers;

/// <summary>Looks up rows of a [V, C] table.</summary>
public sealed class Embedding : Module
{
    /// <param name="ws">Weight source positioned at this layer.</param>
    /// <param name="count">V, the number of rows.</param>
    /// <param name="features">C, the row width.</param>
    /// <param name="init">Initialiser when not loading; N(0, 1) as in PyTorch when null.</param>
    public Embedding(WeightSource ws, int count, int features, Init? init = null) : base(ws)
    {
        Count = count;
        W = Weight(ws, "weight", [count, features], init ?? Init.Normal(1f));
    }

    public int Count { get; }

    /// <summary>[V, C].</summary>
    public Parameter W { get; }

    /// <summary>indices with shape <paramref name="indexShape"/> → [..indexShape, C].</summary>
    public Tensor Forward(int[] indices, int[] indexShape) => Output(Own(Ops.Embedding(indices, indexShape, W.Value)));
}
