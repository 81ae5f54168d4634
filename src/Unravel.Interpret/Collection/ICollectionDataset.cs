// What the collector iterates over: a fixed, indexable list of model inputs with optional class labels.

using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.Collection;

/// <summary>A finite dataset the <see cref="Collector"/> runs a model over, in index order.</summary>
public interface ICollectionDataset
{
    /// <summary>Number of inputs.</summary>
    int Count { get; }

    /// <summary>One line for the atlas manifest (source files, sizes, preprocessing).</summary>
    string Description { get; }

    /// <summary>Lower-case hex SHA-256 of the inputs as the model sees them (and the labels), for the manifest.</summary>
    string ContentSha256 { get; }

    /// <summary>Class label per input, or null.</summary>
    IReadOnlyList<int>? Labels { get; }

    /// <summary>Runs <paramref name="model"/> on inputs start … start + count - 1.</summary>
    /// <exception cref="ArgumentException">The model cannot take this kind of input.</exception>
    Tensor Forward(RootModule model, int start, int count);

    /// <summary>Runs <paramref name="model"/> on the inputs at <paramref name="indices"/> (any order, e.g. a neuron's references).</summary>
    /// <exception cref="ArgumentException">The model cannot take this kind of input.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the dataset.</exception>
    Tensor Forward(RootModule model, IReadOnlyList<long> indices);
}
