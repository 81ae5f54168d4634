// A named collection of tensors read from a checkpoint (a safetensors file, a PyTorch state_dict, a Hugging Face
// folder). Model loaders bind weights through it; they never see the file format.

using Unravel.Tensors;

namespace Unravel.IO;

/// <summary>Tensors addressed by their checkpoint key, converted to float32 on request.</summary>
public interface ITensorSource : IDisposable
{
    /// <summary>The file or folder the tensors come from, as given (used in error messages).</summary>
    string Location { get; }

    /// <summary>Every tensor key, in file order.</summary>
    IReadOnlyList<string> Names { get; }

    bool Contains(string name);

    /// <summary>The shape of <paramref name="name"/> without reading its data.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that key.</exception>
    int[] GetShape(string name);

    /// <summary>Reads <paramref name="name"/> as a new float32 tensor.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that key.</exception>
    /// <exception cref="CheckpointFormatException">The stored data cannot be converted.</exception>
    Tensor GetTensor(string name);
}
