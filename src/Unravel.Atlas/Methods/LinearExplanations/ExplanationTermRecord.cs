// One term w·concept of a stored linear explanation (Oikarinen & Weng 2024, ICML, §3).

namespace Unravel.Atlas.Methods;

/// <summary>A weighted concept.</summary>
/// <param name="Concept">Concept name.</param>
/// <param name="Weight">Weight in activation units per unit of concept presence.</param>
public sealed record ExplanationTermRecord(string Concept, double Weight);
