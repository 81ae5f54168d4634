// Options of the concept-vector method (O'Mahony et al. 2023; docs/methods/concept-vectors.md).

namespace Unravel.Interpret.Concepts;

/// <summary>Options for <see cref="ConceptVectors.Analyse"/>.</summary>
public sealed record ConceptOptions
{
    /// <summary>Ward cut height. Default rel:10, ten times the lower quartile q of the top inputs' pairwise distances
    /// (a within-group distance). Calibration (tools/fixtures/concepts.py header, 100 points): the top Ward merge of a
    /// unimodal cloud stays below ≈ 3.3·q for an isotropic or ReLU'd Gaussian (D ≥ 16), ≈ 7.4·q for an elongated one
    /// (spectrum 1/i^0.7) and mostly below 9·q for log-normal tails; two groups whose centroids lie one within-group
    /// distance apart merge at ≈ 7·q, two apart at ≈ 14·q. 10·q thus splits groups ≈ 1.4 typical distances apart and
    /// keeps unimodal clouds whole. The authors' setting is abs:15.</summary>
    public ConceptThreshold Cut { get; init; } = ConceptThreshold.Scaled(10);

    /// <summary>Outlier radius: a sample whose squared distance to its k-means centroid is ≥ radius² is dropped.
    /// Default rel:1.5, 1.5·q (about twice the typical distance of a Gaussian cluster's members to its centre,
    /// ≈ q/√2). The authors' setting is abs:3.873 (radius² = 15); "none" keeps every sample.</summary>
    public ConceptThreshold Outlier { get; init; } = ConceptThreshold.Scaled(1.5);

    /// <summary>Clusters with fewer members left after outlier removal are dropped (authors: 5).</summary>
    public int MinSize { get; init; } = 5;

    /// <summary>k-means iterations (authors: sklearn max_iter = 1000).</summary>
    public int MaxIterations { get; init; } = 1000;

    /// <summary>Inputs ranked by projection kept per concept.</summary>
    public int ScoreTop { get; init; } = 100;
}
