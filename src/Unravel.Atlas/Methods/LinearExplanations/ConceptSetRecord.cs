// Provenance of the concept matrix a linear explanation was fitted on (Oikarinen & Weng 2024, ICML, §3).

namespace Unravel.Atlas.Methods;

/// <summary>The concept set of an explanation.</summary>
/// <param name="Kind">"labels", "model" or "tokens".</param>
/// <param name="Source">The data, table or model the values come from.</param>
/// <param name="Detail">How the values were made (calibration, tag set).</param>
/// <param name="Concepts">Concepts the fit could use (after the filter).</param>
public sealed record ConceptSetRecord(string Kind, string Source, string Detail, int Concepts);
