// One term w·concept of a linear explanation (Oikarinen & Weng 2024, §3).

namespace Unravel.Interpret.LinearExplanations;

/// <summary>A weighted concept.</summary>
/// <param name="Concept">Concept name.</param>
/// <param name="Column">Its column in the concept matrix the explanation was fitted on.</param>
/// <param name="Weight">Weight in raw activation units per unit of concept presence.</param>
public sealed record ExplanationTerm(string Concept, int Column, double Weight);
