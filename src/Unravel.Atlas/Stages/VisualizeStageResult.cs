// What the visualise stage stored.

using Unravel.Atlas.Methods;

namespace Unravel.Atlas.Stages;

/// <summary>The stored feature visualisations of a neuron's directions.</summary>
/// <param name="Request">The request as run.</param>
/// <param name="Index">Path of the index fv_&lt;neuron&gt;.json; the PNGs lie beside it.</param>
/// <param name="Images">One per direction, in the record's order.</param>
public sealed record VisualizeStageResult(VisualizeRequest Request, string Index, IReadOnlyList<FeatureImage> Images);
