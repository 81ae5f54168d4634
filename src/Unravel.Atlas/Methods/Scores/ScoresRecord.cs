// The simulation scores of one neuron (Oikarinen & Weng 2024, ICML, §4.1): every stored explanation of the neuron
// (linear explanation, concept vectors) turned into a simulator of the activation and correlated with it on one seeded
// test split, so that the methods are compared on the same inputs.

namespace Unravel.Atlas.Methods;

/// <summary>One neuron's scores, one per scored method.</summary>
/// <param name="Scores">The scores.</param>
public sealed record ScoresRecord(ScoreRecord[] Scores);
