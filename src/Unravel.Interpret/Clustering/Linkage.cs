// Linkage criteria for agglomerative clustering, with SciPy's names and merge-height conventions.
// Reference: scipy.cluster.hierarchy.linkage (https://docs.scipy.org/doc/scipy/reference/generated/scipy.cluster.hierarchy.linkage.html).

namespace Unravel.Interpret.Clustering;

/// <summary>How the distance between two clusters is derived from the distances between their members.</summary>
public enum Linkage
{
    /// <summary>Ward's minimum-variance criterion; height d(U, V) = sqrt(2·|U|·|V| / (|U| + |V|)) · ‖μ_U − μ_V‖₂
    /// (SciPy's and scikit-learn's convention, not the increase of the squared error). Euclidean only.</summary>
    Ward,

    /// <summary>UPGMA: the mean of all pairwise distances between the two clusters.</summary>
    Average,

    /// <summary>The largest pairwise distance between the two clusters.</summary>
    Complete,

    /// <summary>The smallest pairwise distance between the two clusters.</summary>
    Single,
}
