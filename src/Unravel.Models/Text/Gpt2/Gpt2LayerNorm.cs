// GPT-2's layer norm (torch.nn.LayerNorm over C) with TransformerLens's inner hook point "hook_normalized":
// (x - mean) / sqrt(var + eps) before the affine weight and bias. That is the value TransformerLens's
// `ln1/ln2/ln_final.hook_normalized` holds under its default from_pretrained processing (fold_ln folds the affine
// part into the next layer), and the "pre-MLP embedding" x̂ of the neuron-embeddings method.
// Reference: TransformerLens components/layer_norm.py (LayerNorm, LayerNormPre).

namespace Unravel.Models.Text;

/// <summary>Layer norm over the last dimension, weight and bias [C], with a hook at the normalised value.</summary>
/// <remarks>Hooks: "&lt;path&gt;.hook_normalized" (before the affine part) and "&lt;path&gt;" (the output).</remarks>
public sealed class Gpt2LayerNorm : Module
{
    /// <summary>Binds "weight" [C] and "bias" [C] under <paramref name="ws"/>.</summary>
    public Gpt2LayerNorm(WeightSource ws, int features, float eps) : base(ws)
    {
        Eps = eps;
        W = Weight(ws, "weight", [features], Init.Ones);
        B = Weight(ws, "bias", [features], Init.Zeros);
    }

    public float Eps { get; }

    /// <summary>γ, [C].</summary>
    public Parameter W { get; }

    /// <summary>β, [C].</summary>
    public Parameter B { get; }

    protected override IEnumerable<string> InternalHookPoints => ["hook_normalized"];

    /// <summary>LN(x) = x̂ · γ + β with x̂ = (x - mean) / sqrt(var + eps) over the last dimension.</summary>
    /// <remarks>Without hooks this is one fused op. With any hook registered it runs as normalise, then multiply and add,
    /// so that hook_normalized can be read or replaced; the kernel's affine step is the same unfused multiply-then-add,
    /// so both paths give identical bits.</remarks>
    public Tensor Forward(Tensor x)
    {
        if (Hooks.Count == 0) return Output(Own(Ops.LayerNorm(x, W.Value, B.Value, Eps)));   // [..., C]
        Tensor normalized = Hook("hook_normalized", Own(Ops.LayerNorm(x, null, null, Eps)));  // [..., C]
        return Output(Own(Ops.Add(Ops.Mul(normalized, W.Value), B.Value)));                   // [..., C]
    }
}
