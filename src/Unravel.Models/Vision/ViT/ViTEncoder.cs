// torchvision's ViT Encoder: adds the positional embedding, runs the blocks, applies the final LayerNorm "ln".
// Hook: "hook_embed" [N, T, D] (tokens plus positions, the first block's input).

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>The encoder "encoder": pos_embedding [1, T, D], layers.encoder_layer_{l}, ln.</summary>
public sealed class ViTEncoder : Module
{
    public ViTEncoder(WeightSource ws, ViTConfig config) : base(ws)
    {
        PosEmbedding = Weight(ws, "pos_embedding", [1, config.Tokens, config.Hidden], Init.Normal(0.02f));
        var layers = new List<ViTBlock>(config.Layers);
        WeightSource layerWs = ws.At("layers");
        for (int l = 0; l < config.Layers; l++) layers.Add(Child(new ViTBlock(layerWs.At($"encoder_layer_{l}"), config)));
        Layers = layers;
        Ln = Child(new LayerNorm(ws.At("ln"), config.Hidden, config.LayerNormEps));
    }

    public Parameter PosEmbedding { get; }

    public IReadOnlyList<ViTBlock> Layers { get; }

    public LayerNorm Ln { get; }

    protected override IEnumerable<string> InternalHookPoints => ["hook_embed"];

    /// <summary>[N, T, D] → [N, T, D].</summary>
    public Tensor Forward(Tensor x)
    {
        x = Hook("hook_embed", x + PosEmbedding.Value);       // [N, T, D]
        foreach (ViTBlock block in Layers) x = block.Forward(x); // [N, T, D]
        return Output(Ln.Forward(x));                          // [N, T, D]
    }
}
