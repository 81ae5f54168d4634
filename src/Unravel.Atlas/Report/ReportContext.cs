// What a method's report section can use: the atlas, the neuron's reference renderer (images with peak boxes, token
// windows with shades; prepared in one batch for every method's references), and the page mode.

using System.Globalization;
using Unravel.Atlas.Methods;

namespace Unravel.Atlas.Report;

/// <summary>The context a method renders its neuron-page section in.</summary>
public sealed class ReportContext
{
    /// <summary>References shown per concept, virtual neuron or cluster.</summary>
    public const int Shown = 8;

    private readonly ReferenceRenderer _references;

    internal ReportContext(AtlasReader atlas, ReferenceRenderer references, ReportMode mode)
    {
        Atlas = atlas;
        _references = references;
        Mode = mode;
    }

    /// <summary>The atlas.</summary>
    public AtlasReader Atlas { get; }

    /// <summary>Static files or the explorer.</summary>
    public ReportMode Mode { get; }

    /// <summary>HTML for up to <see cref="Shown"/> references with their scores.</summary>
    public string References(IReadOnlyList<long> inputs, IReadOnlyList<double> scores, string scoreName) =>
        _references.Render(inputs, scores, null, Shown, scoreName);

    /// <summary>The collapsed provenance block of a record.</summary>
    public static string ProvenanceBlock(Provenance p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return $"<details class=\"provenance\"><summary class=\"muted\">provenance</summary><dl class=\"kv\">{Kv("method", p.Method)}{Kv("tool version", p.ToolVersion)}" +
            $"{Kv("seed", p.Seed.ToString(CultureInfo.InvariantCulture))}{Kv("created", p.CreatedUtc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))}" +
            $"{Kv("options", p.Options.ToJsonString())}</dl></details>";
    }

    internal static string Kv(string key, string? value) => $"<dt>{Html.E(key)}</dt><dd>{Html.E(value ?? "–")}</dd>";
}
