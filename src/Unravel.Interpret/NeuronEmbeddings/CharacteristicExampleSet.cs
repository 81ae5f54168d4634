// The characteristic examples of every neuron of one layer (A. Foote 2024, arXiv 2411.08166, §4.1.1).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Per neuron: its maximum over the data and its characteristic examples.</summary>
/// <param name="Selection">Which rule chose them.</param>
/// <param name="Count">N, the most examples per neuron.</param>
/// <param name="Ratio">The threshold ratio of <see cref="ExampleSelection.FirstAboveThreshold"/>.</param>
/// <param name="Inputs">Inputs seen.</param>
/// <param name="Maximum">[F] each neuron's maximum activation over all inputs and positions (−∞ when none was seen).</param>
/// <param name="Examples">[F] the examples: in corpus order for the threshold rule, best first for top-k. A neuron whose
/// maximum is not positive has none under the threshold rule.</param>
/// <param name="Exact">[F] false where the memory bound dropped a candidate that could qualify (only the threshold rule).</param>
public sealed record CharacteristicExampleSet(ExampleSelection Selection, int Count, float Ratio, long Inputs, float[] Maximum,
    IReadOnlyList<CharacteristicExample[]> Examples, bool[] Exact)
{
    /// <summary>F, the number of neurons.</summary>
    public int Neurons => Maximum.Length;
}
