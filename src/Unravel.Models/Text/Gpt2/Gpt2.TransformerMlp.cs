// GPT-2's blocks as ITransformerMlpModel: ln_2 feeds mlp.c_fc (Radford et al. 2019; hook names of Gpt2Block,
// Gpt2LayerNorm and Gpt2Mlp).

namespace Unravel.Models.Text;

public sealed partial class Gpt2 : ITransformerMlpModel
{
    /// <inheritdoc/>
    public int MlpLayerCount => H.Count;

    /// <inheritdoc/>
    public TransformerMlp MlpLayer(int layer)
    {
        if ((uint)layer >= (uint)H.Count)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"gpt2: layer {layer} is outside 0 … {H.Count - 1}.");
        Gpt2Block block = H[layer];
        string p = block.Path;
        Tensor bias = block.Mlp.CFc.B?.Value ?? Tensor.Zeros(block.Mlp.CFc.OutFeatures);
        return new TransformerMlp(layer, p + ".hook_resid_mid", block.Ln2.Path + ".hook_normalized", block.Ln2.Path,
            block.Mlp.Path + ".hook_pre", block.Mlp.Path + ".hook_post", block.Mlp.CFc.W.Value, bias,
            block.Ln2.W.Value, block.Ln2.B.Value, block.Ln2.Eps);
    }

    /// <inheritdoc/>
    public Tensor ForwardThroughLayer(int[] tokens, int batch, int seq, int lastLayer)
    {
        if ((uint)lastLayer >= (uint)H.Count)
            throw new ArgumentException($"gpt2: layer {lastLayer} is outside 0 … {H.Count - 1}.", nameof(lastLayer));
        Tensor x = Embed(tokens, batch, seq);                                                 // [B, T, C]
        for (int l = 0; l <= lastLayer; l++) x = H[l].Forward(x);                             // [B, T, C]
        return x;
    }
}
