// The temperature-scaled cross-entropy of a linear head on a pooled layer, as a function of one pooled neuron
// (Oikarinen & Weng 2024, ICML, App. B.5: ResNet layer4 → avgpool → fc, so replacing a pooled activation changes the
// logits exactly by W[:, k]·(v − q); T = 1.1). ℓ(v) = CE(softmax((z + W[:, k](v − q)) / T), y).

namespace Unravel.Interpret.Scoring;

/// <summary>Cross-entropy of logits that depend linearly on one neuron.</summary>
public sealed class LinearHeadLoss : INeuronLoss
{
    private readonly float[] _logits;
    private readonly float[] _weight;
    private readonly int[] _labels;
    private readonly float[] _activation;
    private readonly double _temperature;
    private readonly int _classes;

    /// <summary>Binds the original logits [rows, classes], the head weights of the neuron [classes], the labels and the
    /// neuron's original values.</summary>
    /// <exception cref="ArgumentException">Sizes do not match, a label is out of range, or the temperature is not positive.</exception>
    public LinearHeadLoss(float[] logits, float[] headWeight, int[] labels, float[] activation, double temperature = 1.1)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(headWeight);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(activation);
        int c = headWeight.Length, n = labels.Length;
        if (c < 1 || logits.Length != (long)n * c || activation.Length != n)
            throw new ArgumentException($"ablation: logits {logits.Length}, head weight {c}, labels {n}, activations {activation.Length} do not agree.", nameof(logits));
        if (labels.Any(l => (uint)l >= (uint)c)) throw new ArgumentException($"ablation: a label is outside 0 … {c - 1}.", nameof(labels));
        if (!(temperature > 0)) throw new ArgumentException($"ablation: temperature {temperature} must be positive.", nameof(temperature));
        (_logits, _weight, _labels, _activation, _temperature, _classes) = (logits, headWeight, labels, activation, temperature, c);
    }

    /// <inheritdoc/>
    public int Rows => _labels.Length;

    /// <inheritdoc/>
    public double Original(int row) => Evaluate(row, _activation[row]).Loss;

    /// <inheritdoc/>
    public (double Loss, double Gradient) Evaluate(int row, double value)
    {
        int c = _classes;
        double shift = value - _activation[row], max = double.NegativeInfinity;
        Span<double> z = c <= 256 ? stackalloc double[c] : new double[c];
        for (int j = 0; j < c; j++)
        {
            z[j] = (_logits[row * c + j] + _weight[j] * shift) / _temperature;
            max = Math.Max(max, z[j]);
        }
        double sum = 0;
        for (int j = 0; j < c; j++) sum += Math.Exp(z[j] - max);
        double logSum = max + Math.Log(sum), grad = 0;
        for (int j = 0; j < c; j++) grad += (Math.Exp(z[j] - logSum) - (j == _labels[row] ? 1 : 0)) * _weight[j] / _temperature;
        return (logSum - z[_labels[row]], grad);
    }
}
