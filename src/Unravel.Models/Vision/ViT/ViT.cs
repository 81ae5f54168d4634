// torchvision Vision Transformers (vit_b_16, vit_b_32, vit_l_16, vit_l_32 and reduced variants): module paths equal
// torchvision's state_dict keys (class_token, conv_proj, encoder.pos_embedding, encoder.layers.encoder_layer_{l}.*,
// encoder.ln, heads.head), so a torchvision checkpoint loads without a key map. Hook points follow TransformerLens
// inside each block (hook_resid_pre/mid/post, attn hook_pattern, mlp hook_pre/post) and answer to TransformerLens's
// "blocks.{l}.*" names. The head reads the class token, as torchvision's; PoolTokens offers CLS or mean pooling of
// any [N, T, D] activation for collection.
// Reference: Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
// https://arxiv.org/abs/2010.11929, Section 3.1 and Eq. 1-4; torchvision/models/vision_transformer.py.

using System.Text.RegularExpressions;
using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>A torchvision VisionTransformer. Letters: N batch, T tokens (patches + 1), D width, P patch side.</summary>
public sealed partial class ViT : RootModule, IImageClassifier
{
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    public ViT(WeightSource ws, ViTConfig config) : base(ws)
    {
        config.Validate();
        Config = config;
        ClassToken = Weight(ws, "class_token", [1, 1, config.Hidden], Init.Zeros);
        ConvProj = Child(new Conv2d(ws.At("conv_proj"), 3, config.Hidden, kernel: config.PatchSize, stride: config.PatchSize));
        Encoder = Child(new ViTEncoder(ws.At("encoder"), config));
        Head = Child(new Linear(ws.At("heads").At("head"), config.Hidden, config.Classes));
    }

    public ViTConfig Config { get; }

    public Parameter ClassToken { get; }

    public Conv2d ConvProj { get; }

    public ViTEncoder Encoder { get; }

    /// <summary>"heads.head".</summary>
    public Linear Head { get; }

    public int Classes => Config.Classes;

    public (int Channels, int Height, int Width) InputSize => (3, Config.ImageSize, Config.ImageSize);

    public IReadOnlyList<string>? ClassNames { get; set; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor images) // [N, 3, S, S]
    {
        ImageInput.Check("vit", images, 3);
        if (images.Dim(2) != Config.ImageSize || images.Dim(3) != Config.ImageSize)
            throw new ArgumentException($"vit: expected {Config.ImageSize}x{Config.ImageSize} images (the positional embedding is fixed), got {images.ShapeString}.", nameof(images));
        int n = images.Dim(0), d = Config.Hidden;
        Tensor patches = ConvProj.Forward(images);                                       // [N, D, S/P, S/P]
        patches = Ops.Transpose(Ops.Reshape(patches, n, d, -1), 1, 2);                   // [N, T-1, D]
        Tensor cls = Ops.Add(Tensor.Zeros(n, 1, d), ClassToken.Value);                   // [N, 1, D]
        Tensor tokens = Ops.Concat([cls, patches], 1);                                   // [N, T, D]
        Tensor encoded = Encoder.Forward(tokens);                                        // [N, T, D]
        return Head.Forward(PoolTokens(encoded, ViTPool.Cls));                           // [N, Classes]
    }

    /// <summary>One vector per image from a token activation.</summary>
    /// <param name="tokens">[N, T, D].</param>
    /// <param name="pool">The class token or the mean over tokens.</param>
    /// <returns>[N, D].</returns>
    public static Tensor PoolTokens(Tensor tokens, ViTPool pool)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Rank != 3) throw new ArgumentException($"vit: PoolTokens expects [N, T, D], got {tokens.ShapeString}.", nameof(tokens));
        return pool == ViTPool.Mean
            ? Ops.Mean(tokens, [1])                                                      // [N, D]
            : Ops.Reshape(Ops.Slice(tokens, 1, 0, 1), tokens.Dim(0), tokens.Dim(2));     // [N, D]
    }

    /// <summary>TransformerLens names: "blocks.{l}.X" → "encoder.layers.encoder_layer_{l}.X" ("attn" → "self_attention").</summary>
    protected override string ResolveAlias(string name)
    {
        Match m = BlockAlias().Match(name);
        if (!m.Success) return name;
        string rest = m.Groups[2].Value;
        if (rest.StartsWith(".attn", StringComparison.Ordinal)) rest = ".self_attention" + rest[".attn".Length..];
        return $"encoder.layers.encoder_layer_{m.Groups[1].Value}{rest}";
    }

    [GeneratedRegex(@"^blocks\.(\d+|\*)(.*)$")]
    private static partial Regex BlockAlias();
}
