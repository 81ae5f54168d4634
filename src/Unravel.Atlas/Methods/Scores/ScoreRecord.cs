// One method's simulation score for a neuron (Oikarinen & Weng 2024, ICML, §4.1): Pearson r of the simulator's
// prediction with the activation on the test split, with the split it was measured on.

namespace Unravel.Atlas.Methods;

/// <summary>A method's score.</summary>
/// <param name="Method">The scored method ("explain:SET" per concept set, "concepts", "pure").</param>
/// <param name="Simulator">How the explanation predicts the activation.</param>
/// <param name="TestCorrelation">Pearson r on the test split (null when undefined: a constant prediction).</param>
/// <param name="ValCorrelation">Pearson r on the validation split (null when undefined).</param>
/// <param name="Unit">What a row is: "input", "token" or "window" (window-mean activation).</param>
/// <param name="Split">The split.</param>
public sealed record ScoreRecord(string Method, string Simulator, double? TestCorrelation, double? ValCorrelation, string Unit, DataSplitRecord Split);
