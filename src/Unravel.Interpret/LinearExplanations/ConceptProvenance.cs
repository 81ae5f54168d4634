// Where a concept presence matrix came from (Oikarinen & Weng 2024, "Linear explanations for individual neurons",
// ICML, §3: the concept set and the detector that fills P are part of every explanation's meaning).

namespace Unravel.Interpret.LinearExplanations;

/// <summary>The origin of a concept presence matrix.</summary>
/// <param name="Kind">"labels", "model" or "tokens".</param>
/// <param name="Source">The data, table or model the values come from (for example "fashion-mnist test labels + WordNet 3.0 hypernyms").</param>
/// <param name="Detail">How the values were made (calibration constants, filter, tag set), one line.</param>
public sealed record ConceptProvenance(string Kind, string Source, string Detail);
