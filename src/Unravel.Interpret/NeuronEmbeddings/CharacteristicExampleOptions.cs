// Options of the characteristic-example accumulator (A. Foote 2024, arXiv 2411.08166, §4.1.1: 100 examples at
// 0.75 × the neuron's maximum).

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>How many characteristic examples to keep per neuron and how to choose them.</summary>
public sealed record CharacteristicExampleOptions
{
    /// <summary>N, examples per neuron (the paper: 100).</summary>
    public int Count { get; init; } = 100;

    /// <summary>An input qualifies when its maximum reaches this fraction of the neuron's maximum (the paper: 0.75).</summary>
    public float Ratio { get; init; } = 0.75f;

    /// <summary>The paper's first-over-threshold rule, or top-k.</summary>
    public ExampleSelection Selection { get; init; } = ExampleSelection.FirstAboveThreshold;

    /// <summary>Most candidates held per neuron by the first-over-threshold rule (a memory bound). When a neuron's
    /// candidates exceed it, the lowest are dropped and the result says whether that could have changed the answer
    /// (<see cref="CharacteristicExampleSet.Exact"/>).</summary>
    public int Capacity { get; init; } = 1000;
}
