// A neuron's linear explanation q(x) ≈ Σ_j w_j·P[x, j] + b (Oikarinen & Weng 2024, ICML, §3), printed as the authors
// do, terms by descending weight: "2.78·sandal + 0.36·footwear + 0.32".

using System.Globalization;

namespace Unravel.Interpret.LinearExplanations;

/// <summary>One neuron's sparse weighted sum of concepts.</summary>
/// <param name="Neuron">Neuron (column of the activation matrix).</param>
/// <param name="Terms">Selected concepts, by descending weight (at most MaxTerms; empty when nothing correlates).</param>
/// <param name="Bias">Intercept in activation units.</param>
/// <param name="ValCorrelation">Pearson r of the fit on the validation split (the explainer's own concept matrix).</param>
public sealed record LinearExplanation(int Neuron, IReadOnlyList<ExplanationTerm> Terms, double Bias, double ValCorrelation)
{
    /// <summary>"2.78·sandal + 0.36·footwear + 0.32" (two decimals, invariant culture).</summary>
    public string Formula()
    {
        var parts = Terms.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Weight:0.00}·{t.Concept}")).ToList();
        parts.Add(Bias.ToString("0.00", CultureInfo.InvariantCulture));
        return string.Join(" + ", parts).Replace("+ -", "− ", StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    public override string ToString() => Formula();
}
