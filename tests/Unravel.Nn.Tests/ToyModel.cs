// A tiny two-block model used to test the module tree, hooks and strict loading without real layers.

using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Nn.Tests;

/// <summary>y = x ⊙ weight + bias.</summary>
internal sealed class Affine : Module
{
    public Affine(WeightSource ws, int features) : base(ws)
    {
        W = Weight(ws, "weight", [features], Init.Ones);
        B = Weight(ws, "bias", [features], Init.Zeros);
    }

    public Parameter W { get; }
    public Parameter B { get; }

    public Tensor Forward(Tensor x) => Output(x * W.Value + B.Value);
}

internal sealed class Block : Module
{
    public Block(WeightSource ws, int features) : base(ws)
    {
        Fc = Child(new Affine(ws.At("fc"), features));
        Stats = Buffer(ws, "count", [1], Init.Zeros);
    }

    public Affine Fc { get; }
    public Parameter Stats { get; }

    protected override IEnumerable<string> InternalHookPoints => ["hook_resid_post"];

    public Tensor Forward(Tensor x) => Output(Hook("hook_resid_post", x + Fc.Forward(x)));
}

internal sealed class ToyModel : RootModule
{
    public ToyModel(WeightSource ws, int features = 3, int blocks = 2) : base(ws)
    {
        var list = new List<Block>();
        for (int i = 0; i < blocks; i++) list.Add(Child(new Block(ws.At("h").At(i), features)));
        H = list;
    }

    public IReadOnlyList<Block> H { get; }

    public Tensor Forward(Tensor x)
    {
        foreach (Block b in H) x = b.Forward(x);
        return x;
    }

    protected override string ResolveAlias(string name) => name.StartsWith("blocks.", StringComparison.Ordinal) ? "h." + name[7..] : name;
}
