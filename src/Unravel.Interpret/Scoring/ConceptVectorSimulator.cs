// Simulator of concept vectors (O'Mahony et al. 2023, "Disentangling neuron representations with concept vectors",
// CVPR workshops). A concept vector v is a unit direction in the layer's pooled space. If an input lies along v,
// a(x) ≈ t·v, so the neuron's own value is t·v_k with t estimated from the OTHER neurons by least squares,
// t = ⟨a_{−k}, v_{−k}⟩ / ‖v_{−k}‖² (the neuron's own coordinate is left out, otherwise the simulator would read the
// activation it is asked to predict). Each input is routed to the concept with the largest t (its best-matching
// direction), and the prediction is t·v_k for that concept.

using Unravel.Tensors;

namespace Unravel.Interpret.Scoring;

/// <summary>Predicts a neuron from the rest of its layer through its concept vectors.</summary>
public sealed class ConceptVectorSimulator : ISimulator
{
    private readonly Tensor _pooled;
    private readonly int _neuron;
    private readonly float[][] _vectors;
    private readonly double[] _norms;

    /// <summary>Binds the pooled layer vectors [rows, C] and the neuron's concept vectors (each of length C).</summary>
    /// <exception cref="ArgumentException">Pooled is not 2-D, the neuron is out of range, there is no vector, or a vector
    /// has the wrong length or no component outside the neuron.</exception>
    public ConceptVectorSimulator(Tensor pooled, int neuron, IReadOnlyList<float[]> vectors)
    {
        ArgumentNullException.ThrowIfNull(pooled);
        ArgumentNullException.ThrowIfNull(vectors);
        if (pooled.Shape.Length != 2) throw new ArgumentException("score: pooled vectors must be [rows, C].", nameof(pooled));
        int c = pooled.Shape[1];
        if ((uint)neuron >= (uint)c) throw new ArgumentException($"score: neuron {neuron} outside pooled width {c}.", nameof(neuron));
        if (vectors.Count == 0) throw new ArgumentException($"score: neuron {neuron} has no concept vector.", nameof(vectors));
        _norms = new double[vectors.Count];
        for (int j = 0; j < vectors.Count; j++)
        {
            if (vectors[j].Length != c) throw new ArgumentException($"score: concept vector {j} has {vectors[j].Length} components for width {c}.", nameof(vectors));
            double s = 0;
            for (int f = 0; f < c; f++) if (f != neuron) s += (double)vectors[j][f] * vectors[j][f];
            _norms[j] = s > 0 ? s : throw new ArgumentException($"score: concept vector {j} of neuron {neuron} points only along the neuron itself.", nameof(vectors));
        }
        _pooled = pooled;
        _neuron = neuron;
        _vectors = vectors.ToArray();
    }

    /// <inheritdoc/>
    public string Name => "concept-vectors";

    /// <inheritdoc/>
    public void Predict(ReadOnlySpan<int> rows, Span<double> destination)
    {
        int c = _pooled.Shape[1];
        Checks.Lengths(rows, destination, _pooled.Shape[0]);
        ReadOnlySpan<float> a = _pooled.Data;
        for (int i = 0; i < rows.Length; i++)
        {
            ReadOnlySpan<float> x = a.Slice(rows[i] * c, c);
            double best = double.NegativeInfinity, value = 0;
            for (int j = 0; j < _vectors.Length; j++)
            {
                double dot = 0;
                for (int f = 0; f < c; f++) dot += (double)x[f] * _vectors[j][f];
                double t = (dot - (double)x[_neuron] * _vectors[j][_neuron]) / _norms[j];
                if (t > best)
                {
                    best = t;
                    value = t * _vectors[j][_neuron];
                }
            }
            destination[i] = value;
        }
    }
}
