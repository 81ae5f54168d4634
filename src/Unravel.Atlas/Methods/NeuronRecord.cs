// One method result of one neuron, as stored in methods/<method>/<layer folder>/neuron_<idx>.json: the format
// version, the provenance envelope, the neuron it belongs to, and the method's own result record.

namespace Unravel.Atlas.Methods;

/// <summary>A neuron's result of one method, with its provenance.</summary>
/// <typeparam name="TResult">The method's per-neuron record type (source-generated JSON).</typeparam>
/// <param name="FormatVersion">The atlas format version it was written with (<see cref="AtlasFormat.Version"/>).</param>
/// <param name="Provenance">Method, tool version, model and dataset hashes, seed, options, time.</param>
/// <param name="Layer">Layer name as the atlas records it.</param>
/// <param name="Neuron">Neuron index within the layer.</param>
/// <param name="Result">The method's result for this neuron.</param>
public sealed record NeuronRecord<TResult>(int FormatVersion, Provenance Provenance, string Layer, int Neuron, TResult Result);
