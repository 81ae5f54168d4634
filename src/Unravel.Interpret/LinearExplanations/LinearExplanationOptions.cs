// Hyperparameters of linear explanations (Oikarinen & Weng 2024, ICML, §3; the defaults are the authors' code defaults).

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Options of <see cref="LinearExplainer"/>.</summary>
public sealed record LinearExplanationOptions
{
    /// <summary>Elastic-net L1 strength λ₁ (0.05).</summary>
    public double L1 { get; init; } = ElasticNet.DefaultL1;

    /// <summary>Elastic-net L2 strength λ₂ (≈ 5.05e-4).</summary>
    public double L2 { get; init; } = ElasticNet.DefaultL2;

    /// <summary>Candidates tried per greedy step (10).</summary>
    public int Width { get; init; } = 10;

    /// <summary>Most concepts in an explanation (10).</summary>
    public int MaxTerms { get; init; } = 10;

    /// <summary>Minimum gain in validation correlation for a further concept (0.02).</summary>
    public double Tolerance { get; init; } = 0.02;

    /// <summary>Apply the concept filter (top-5 mean ≥ 0.5, std ≥ 1e-5 over all rows) before fitting (true).</summary>
    public bool Filter { get; init; } = true;

    /// <summary>Coordinate-descent stop: largest weight change per sweep, in standardised units (1e-6; only the ranking
    /// of the weights is used downstream).</summary>
    public double CoordinateTolerance { get; init; } = 1e-6;

    /// <summary>Neurons fitted at once (default: processor count).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;
}
