// Options of the concept-vector method (O'Mahony et al. 2023; spec shared/methods/concept-vectors-and-channel-split.md §1).

namespace Unravel.Interpret.Concepts;

/// <summary>Options for <see cref="ConceptVectors.Analyse"/>.</summary>
public sealed record ConceptOptions
{
    /// <summary>Ward cut height. Default rel:4, four times the median pairwise distance of the top inputs: a unimodal
    /// cloud's top Ward merge stays below ≈ 3× that median (isotropic Gaussian, D ≥ 16), two groups of 50 whose
    /// centroids lie one typical pairwise distance apart merge at ≈ 5.5–6×. The authors' setting is abs:15.</summary>
    public ConceptThreshold Cut { get; init; } = ConceptThreshold.Scaled(4);

    /// <summary>Outlier radius: a sample whose squared distance to its k-means centroid is ≥ radius² is dropped.
    /// Default rel:1, the median pairwise distance (≈ 1.4× the typical distance to a Gaussian cluster's centre). The
    /// authors' setting is abs:3.873 (radius² = 15); "none" keeps every sample.</summary>
    public ConceptThreshold Outlier { get; init; } = ConceptThreshold.Scaled(1);

    /// <summary>Clusters with fewer members left after outlier removal are dropped (authors: 5).</summary>
    public int MinSize { get; init; } = 5;

    /// <summary>k-means iterations (authors: sklearn max_iter = 1000).</summary>
    public int MaxIterations { get; init; } = 1000;

    /// <summary>Inputs ranked by projection kept per concept.</summary>
    public int ScoreTop { get; init; } = 100;
}
