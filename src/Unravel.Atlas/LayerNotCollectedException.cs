// A layer the atlas does not hold: the message names the atlas and the layer as written, the hint lists the layers
// that were collected (names as the atlas records them; aliases such as TransformerLens names are resolved first).

namespace Unravel;

/// <summary>The atlas has no layer of that name.</summary>
public sealed class LayerNotCollectedException : UnravelException
{
    /// <summary>Names <paramref name="layer"/> and the atlas, and lists <paramref name="collected"/>.</summary>
    public LayerNotCollectedException(string atlas, string layer, IReadOnlyList<string> collected)
        : base($"{atlas}: no layer '{layer}' in this atlas; collected layers: {string.Join(", ", collected)}.",
               "pass one of the collected layers, or collect this one with `unravel collect --layers`")
    {
        Layer = layer;
        Collected = collected;
    }

    /// <summary>The layer as given.</summary>
    public string Layer { get; }

    /// <summary>The layers the atlas holds.</summary>
    public IReadOnlyList<string> Collected { get; }
}
