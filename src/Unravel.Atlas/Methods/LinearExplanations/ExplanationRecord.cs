// The stored linear explanation of one neuron (Oikarinen & Weng 2024, "Linear explanations for individual neurons",
// ICML, §3–4): its terms and bias, its correlations on the seeded validation and test splits, the best single concept
// as a baseline, the split, the concept set it was fitted on and a sample of test rows for the predicted-vs-actual plot.

namespace Unravel.Atlas.Methods;

/// <summary>One neuron's linear explanation as the atlas stores it.</summary>
/// <param name="ConceptSet">The concept set as requested ("labels", "model:NAME", "tokens").</param>
/// <param name="Concepts">Where the concept matrix came from.</param>
/// <param name="Terms">Concepts and weights, by descending weight.</param>
/// <param name="Bias">Intercept in activation units.</param>
/// <param name="Formula">"2.78·Sandal + 0.36·footwear + 0.32".</param>
/// <param name="TestCorrelation">Pearson r of the explanation with the activation on the test split.</param>
/// <param name="ValCorrelation">Pearson r on the validation split (the greedy search's criterion).</param>
/// <param name="BaselineCorrelation">Test r of the best single concept (chosen on validation, fitted on train).</param>
/// <param name="BaselineConcept">That concept, or null when none correlates.</param>
/// <param name="Split">The seeded train/val/test split.</param>
/// <param name="ScatterActual">Activation of up to 400 evenly spaced test rows.</param>
/// <param name="ScatterPredicted">The explanation's prediction for the same rows.</param>
public sealed record ExplanationRecord(string ConceptSet, ConceptSetRecord Concepts, ExplanationTermRecord[] Terms, double Bias, string Formula,
    double TestCorrelation, double ValCorrelation, double BaselineCorrelation, string? BaselineConcept, DataSplitRecord Split,
    float[] ScatterActual, float[] ScatterPredicted);
