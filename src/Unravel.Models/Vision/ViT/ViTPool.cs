// How a ViT's token sequence becomes one vector per image.

namespace Unravel.Models.Vision;

/// <summary>Token pooling for <see cref="ViT.PoolTokens"/>.</summary>
public enum ViTPool
{
    /// <summary>The class token (position 0), as torchvision's head uses it.</summary>
    Cls,

    /// <summary>The mean over all tokens.</summary>
    Mean,
}
