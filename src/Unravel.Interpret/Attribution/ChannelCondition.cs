// A CRP condition (Achtibat et al. 2023, "From attribution maps to human-understandable explanations through Concept
// Relevance Propagation", Nature MI, https://doi.org/10.1038/s42256-023-00711-8): at a named layer, keep only the
// relevance of the chosen channels during the backward walk (zennit-crp ChannelConcept.mask).

namespace Unravel.Interpret.Attribution;

/// <summary>Keep only <paramref name="Channels"/> of the relevance at hook point <paramref name="Layer"/>.</summary>
/// <param name="Layer">A hook name, e.g. "layer2.0" (a module output) or "layer2.0.hook_add".</param>
/// <param name="Channels">Channel indices (axis 1) to keep.</param>
/// <param name="Position">With a value, keep only this flat spatial index of each channel (CRP's single-neuron
/// <c>mask_rf</c>, e.g. the arg-max unit of a reference image); null keeps whole channels.</param>
public sealed record ChannelCondition(string Layer, IReadOnlyList<int> Channels, int? Position = null)
{
    /// <summary>Parses "LAYER:C[,C…][@POSITION]", e.g. "layer2.0:5", "layer3:1,7" or "layer3.0:5@12".</summary>
    /// <exception cref="FormatException">No ':' or a channel/position that is not a non-negative integer.</exception>
    public static ChannelCondition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
            throw new FormatException($"condition '{text}': expected LAYER:CHANNEL[,CHANNEL…][@POSITION], e.g. layer2.0:5.");
        string spec = text[(colon + 1)..];
        int? position = null;
        int at = spec.IndexOf('@');
        if (at >= 0)
        {
            position = ParseIndex(text, spec[(at + 1)..], "position");
            spec = spec[..at];
        }
        return new ChannelCondition(text[..colon], spec.Split(',').Select(p => ParseIndex(text, p, "channel")).ToArray(), position);
    }

    private static int ParseIndex(string text, string part, string what) =>
        int.TryParse(part.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v) ? v
            : throw new FormatException($"condition '{text}': {what} '{part}' is not a non-negative integer.");

    public override string ToString() => $"{Layer}:{string.Join(",", Channels)}{(Position is { } p ? $"@{p}" : "")}";
}
