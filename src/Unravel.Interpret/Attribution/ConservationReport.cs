// Per-layer relevance bookkeeping, so a user sees where relevance leaks (biases, ε, residual sums that cancel).

namespace Unravel.Interpret.Attribution;

/// <summary>Relevance conservation of one attribution.</summary>
/// <param name="Seeded">Σ of the initial relevance (e.g. the target logits).</param>
/// <param name="AtInput">Σ of the relevance that reached the input.</param>
/// <param name="Layers">One row per node that relevance passed, top (output) first.</param>
public sealed record ConservationReport(double Seeded, double AtInput, IReadOnlyList<LayerConservation> Layers)
{
    /// <summary>The rows whose relative leak exceeds <paramref name="tolerance"/>.</summary>
    public IEnumerable<LayerConservation> Leaks(double tolerance = 1e-3) => Layers.Where(l => l.RelativeLeak > tolerance);
}
