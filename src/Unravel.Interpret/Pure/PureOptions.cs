// Options of a PURE run (docs/methods/pure.md §6 for the authors' defaults).

namespace Unravel.Interpret.Pure;

/// <summary>How PURE splits neurons into virtual neurons.</summary>
public sealed record PureOptions
{
    /// <summary>Analysed layer l (hook name).</summary>
    public required string Layer { get; init; }

    /// <summary>Layer l−1 the circuits are over (hook name).</summary>
    public required string LowerLayer { get; init; }

    /// <summary>Virtual neurons per neuron (the paper's main setting: 2). Ignored when <see cref="AutoK"/>.</summary>
    public int K { get; init; } = 2;

    /// <summary>Extension (not in the paper): choose k in [<see cref="MinK"/>, <see cref="MaxK"/>] per neuron by the
    /// largest mean silhouette of the circuits.</summary>
    public bool AutoK { get; init; }

    /// <summary>Smallest k tried by <see cref="AutoK"/>.</summary>
    public int MinK { get; init; } = 2;

    /// <summary>Largest k tried by <see cref="AutoK"/> (the paper evaluates 2 … 5).</summary>
    public int MaxK { get; init; } = 5;

    /// <summary>k-means++ restarts (sklearn n_init; the authors use 10).</summary>
    public int Restarts { get; init; } = 10;

    /// <summary>Seed of k-means and of the random-label baseline.</summary>
    public int Seed { get; init; }

    /// <summary>Inputs per forward of the circuit pass.</summary>
    public int Batch { get; init; } = 128;

    /// <summary>Most routed inputs kept per virtual neuron.</summary>
    public int TopInputs { get; init; } = 100;
}
