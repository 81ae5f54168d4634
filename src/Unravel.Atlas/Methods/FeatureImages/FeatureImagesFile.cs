// The index of a neuron's stored feature visualisations for one method (methods/<method>/<layer>/fv_<neuron>.json), in
// the provenance envelope; the PNGs it names lie beside it.

namespace Unravel.Atlas.Methods;

/// <summary>The file methods/&lt;method&gt;/&lt;layer&gt;/fv_&lt;neuron&gt;.json.</summary>
/// <param name="FormatVersion">Atlas format that wrote it.</param>
/// <param name="Provenance">Model, data, seed and options.</param>
/// <param name="Layer">The atlas layer of the neuron.</param>
/// <param name="Neuron">The neuron.</param>
/// <param name="Images">The visualisations, in display order.</param>
public sealed record FeatureImagesFile(int FormatVersion, Provenance Provenance, string Layer, int Neuron, FeatureImage[] Images);
