// A CRP condition (Achtibat et al. 2023, "From attribution maps to human-understandable explanations through Concept
// Relevance Propagation", Nature MI, https://doi.org/10.1038/s42256-023-00711-8): at a named layer, keep only the
// relevance of the chosen channels during the backward walk (zennit-crp ChannelConcept.mask).

namespace Unravel.Interpret.Attribution;

/// <summary>Keep only <paramref name="Channels"/> of the relevance at hook point <paramref name="Layer"/>.</summary>
/// <param name="Layer">A hook name, e.g. "layer2.0" (a module output) or "layer2.0.hook_add".</param>
/// <param name="Channels">Channel indices (axis 1) to keep.</param>
public sealed record ChannelCondition(string Layer, IReadOnlyList<int> Channels)
{
    /// <summary>Parses "LAYER:C[,C…]", e.g. "layer2.0:5" or "layer3:1,7".</summary>
    /// <exception cref="FormatException">No ':' or a channel that is not a non-negative integer.</exception>
    public static ChannelCondition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
            throw new FormatException($"condition '{text}': expected LAYER:CHANNEL[,CHANNEL…], e.g. layer2.0:5.");
        var channels = new List<int>();
        foreach (string part in text[(colon + 1)..].Split(','))
        {
            if (!int.TryParse(part.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int c))
                throw new FormatException($"condition '{text}': channel '{part}' is not a non-negative integer.");
            channels.Add(c);
        }
        return new ChannelCondition(text[..colon], channels);
    }

    public override string ToString() => $"{Layer}:{string.Join(",", Channels)}";
}
