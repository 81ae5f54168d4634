// Hyper-parameters of torchvision's Vision Transformers, with the four torchvision presets.
// Reference: Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words", https://arxiv.org/abs/2010.11929, Table 1.

namespace Unravel.Models.Vision;

/// <summary>A torchvision VisionTransformer configuration.</summary>
/// <param name="ImageSize">Input side (square images).</param>
/// <param name="PatchSize">Patch side; ImageSize must be a multiple of it.</param>
/// <param name="Layers">Encoder blocks.</param>
/// <param name="Heads">Attention heads; Hidden must be a multiple of it.</param>
/// <param name="Hidden">Token width D.</param>
/// <param name="Mlp">MLP width.</param>
/// <param name="Classes">Outputs of the head.</param>
public sealed record ViTConfig(int ImageSize, int PatchSize, int Layers, int Heads, int Hidden, int Mlp, int Classes = 1000)
{
    public static ViTConfig B16 { get; } = new(224, 16, 12, 12, 768, 3072);
    public static ViTConfig B32 { get; } = new(224, 32, 12, 12, 768, 3072);
    public static ViTConfig L16 { get; } = new(224, 16, 24, 16, 1024, 4096);
    public static ViTConfig L32 { get; } = new(224, 32, 24, 16, 1024, 4096);

    /// <summary>LayerNorm epsilon (torchvision: 1e-6).</summary>
    public float LayerNormEps { get; init; } = 1e-6f;

    /// <summary>Tokens per image: patches plus the class token.</summary>
    public int Tokens => (ImageSize / PatchSize) * (ImageSize / PatchSize) + 1;

    /// <exception cref="ArgumentException">A size is not positive or does not divide.</exception>
    public void Validate()
    {
        if (ImageSize <= 0 || PatchSize <= 0 || ImageSize % PatchSize != 0)
            throw new ArgumentException($"vit: image size {ImageSize} is not a positive multiple of patch size {PatchSize}.");
        if (Layers <= 0 || Heads <= 0 || Hidden % Heads != 0 || Mlp <= 0 || Classes <= 0)
            throw new ArgumentException($"vit: invalid config {this} (hidden must be a multiple of heads).");
    }
}
