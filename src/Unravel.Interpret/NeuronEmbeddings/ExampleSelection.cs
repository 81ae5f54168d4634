// How characteristic dataset examples of a neuron are chosen (A. Foote 2024, "Tackling Polysemanticity with Neuron
// Embeddings", arXiv 2411.08166, §4.1.1).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Which inputs become a neuron's characteristic examples.</summary>
public enum ExampleSelection
{
    /// <summary>The paper's choice: the first N inputs in corpus order whose maximum activation reaches
    /// ratio × the neuron's maximum (diverse, not only the strongest).</summary>
    FirstAboveThreshold,

    /// <summary>The N inputs with the highest maximum activation (ties: lower input index first).</summary>
    TopK,
}
