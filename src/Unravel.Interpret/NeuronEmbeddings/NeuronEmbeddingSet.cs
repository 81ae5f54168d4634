// The neuron embeddings of one neuron's characteristic examples (A. Foote 2024, arXiv 2411.08166, §3.1 eq. 2).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>e_k = h_k ⊙ w for each characteristic example k of one neuron.</summary>
/// <param name="Neuron">Neuron index j.</param>
/// <param name="Examples">[n] the examples, in the order of the rows below.</param>
/// <param name="Embeddings">[n, C] row-major neuron embeddings e = h ⊙ w.</param>
/// <param name="PreMlp">[n, C] the raw pre-MLP vectors h (the paper's baseline).</param>
/// <param name="Weights">[C] w as used (folded and centred for the TransformerLens and residual variants).</param>
/// <param name="Bias">b', so that Σe + b' is the pre-activation (TransformerLens and Hugging Face variants).</param>
/// <param name="PreActivation">[n] the neuron's pre-activation at each key position, as the model computed it.</param>
public sealed record NeuronEmbeddingSet(int Neuron, CharacteristicExample[] Examples, float[] Embeddings, float[] PreMlp,
    float[] Weights, float Bias, float[] PreActivation)
{
    /// <summary>n, the number of examples.</summary>
    public int Count => Examples.Length;

    /// <summary>C.</summary>
    public int Width => Weights.Length;
}
