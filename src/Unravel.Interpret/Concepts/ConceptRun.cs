// Provenance of one concept-vector run, recorded in every result file (shared/ATLAS brief, method "concepts").

namespace Unravel.Interpret.Concepts;

/// <summary>How a set of concept results was made.</summary>
/// <param name="Ranking">Top-k table the top inputs came from: "max" or "mean" over positions.</param>
/// <param name="Pooling">Pooled vectors clustered: "mean" (GAP, as the authors) or "max".</param>
/// <param name="Options">Thresholds and sizes.</param>
/// <param name="ToolVersion">Version of the tool that ran it.</param>
public sealed record ConceptRun(string Ranking, string Pooling, ConceptOptions Options, string ToolVersion);
