// Point-to-point distances used by the clustering library.

namespace Unravel.Interpret.Clustering;

/// <summary>A distance between two samples.</summary>
public enum DistanceMetric
{
    /// <summary>‖u − v‖₂.</summary>
    Euclidean,

    /// <summary>1 − u·v / (‖u‖₂ ‖v‖₂), in [0, 2] (SciPy's and scikit-learn's cosine distance). Zero rows are rejected.</summary>
    Cosine,
}
