// Token embedding table (torch.nn.Embedding): weight [V, C].

namespace Unravel.Nn.Layers;

/// <summary>Looks up rows of a [V, C] table.</summary>
public sealed class Embedding : Module
{
    public Embedding(WeightSource ws, int count, int features) : base(ws)
    {
        Count = count;
        W = Weight(ws, "weight", [count, features], Init.Normal(1f));
    }

    public int Count { get; }

    /// <summary>[V, C].</summary>
    public Parameter W { get; }

    /// <summary>indices with shape <paramref name="indexShape"/> → [..indexShape, C].</summary>
    public Tensor Forward(int[] indices, int[] indexShape) => Output(Own(Ops.Embedding(indices, indexShape, W.Value)));
}
