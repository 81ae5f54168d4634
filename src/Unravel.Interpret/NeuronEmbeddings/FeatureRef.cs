// Names one feature cluster: (layer, neuron, cluster) (A. Foote 2024, arXiv 2411.08166, §4.1.1: "Layer L, Neuron N,
// Feature F").

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>A feature: cluster <paramref name="Cluster"/> of neuron <paramref name="Neuron"/> in block <paramref name="Layer"/>.</summary>
public readonly record struct FeatureRef(int Layer, int Neuron, int Cluster);
