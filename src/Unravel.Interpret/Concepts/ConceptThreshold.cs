// A distance threshold of the concept-vector method (O'Mahony et al. 2023; spec
// docs/methods/concept-vectors.md): absolute, as the authors' t = 15 / radius² = 15 for
// InceptionV3 Mixed_7b, or scale-free, as a multiple of the lower quartile of the pairwise distances of the neuron's top inputs.

using System.Globalization;

namespace Unravel.Interpret.Concepts;

/// <summary>A distance threshold: absolute, or relative to the lower quartile of the pairwise Euclidean distances of the top inputs.</summary>
/// <param name="Value">The distance (absolute) or the factor (relative); +∞ disables the threshold.</param>
/// <param name="Relative">Whether <paramref name="Value"/> multiplies that quartile.</param>
public readonly record struct ConceptThreshold(double Value, bool Relative)
{
    /// <summary>A fixed distance in activation units, e.g. the authors' Ward cut 15.</summary>
    public static ConceptThreshold Absolute(double value) => new(value, false);

    /// <summary>A multiple of the lower quartile of the top inputs' pairwise distances (scale-free).</summary>
    public static ConceptThreshold Scaled(double factor) => new(factor, true);

    /// <summary>No threshold (+∞): nothing is an outlier.</summary>
    public static ConceptThreshold None { get; } = new(double.PositiveInfinity, false);

    /// <summary>The distance this threshold stands for, given the pairwise-distance quartile <paramref name="scale"/>.</summary>
    /// <remarks>Effectively computes <c>Relative ? Value · scale : Value</c>.</remarks>
    public double Resolve(double scale) => Relative ? Value * scale : Value;

    /// <summary>Parses "abs:15", "rel:4" or "none".</summary>
    /// <exception cref="FormatException">Another form, or a value that is not a positive number.</exception>
    public static ConceptThreshold Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        if (t.Equals("none", StringComparison.OrdinalIgnoreCase)) return None;
        int colon = t.IndexOf(':', StringComparison.Ordinal);
        string kind = colon < 0 ? "" : t[..colon].ToLowerInvariant();
        if (kind is not ("abs" or "rel")
            || !double.TryParse(t[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0) || double.IsInfinity(v))
            throw new FormatException($"concepts: threshold '{text}' must be abs:DISTANCE, rel:FACTOR (× lower quartile of the pairwise distances) or none, with a positive number.");
        return new ConceptThreshold(v, kind == "rel");
    }

    /// <summary>"abs:15", "rel:4" or "none", as <see cref="Parse"/> reads it.</summary>
    public override string ToString() => double.IsPositiveInfinity(Value) ? "none"
        : (Relative ? "rel:" : "abs:") + Value.ToString("R", CultureInfo.InvariantCulture);
}
