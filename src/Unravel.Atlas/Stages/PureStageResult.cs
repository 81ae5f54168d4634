// What the PURE stage did, for the command's table or JSON.

using Unravel.Interpret.Pure;

namespace Unravel.Atlas.Stages;

/// <summary>The outcome of a PURE run.</summary>
/// <param name="Request">The request as run.</param>
/// <param name="Layer">The layer (resolved name).</param>
/// <param name="Result">The algorithm's result.</param>
/// <param name="Evaluation">The judge evaluation, when asked.</param>
/// <param name="Naive">The naive-baseline timing, when asked.</param>
/// <param name="Folder">Where the records were written.</param>
/// <param name="AtlasK">References per neuron the atlas keeps.</param>
/// <param name="RandomWeights">Whether the model has random weights.</param>
public sealed record PureStageResult(PureRequest Request, AtlasLayer Layer, PureResult Result, PureEvaluation? Evaluation, PureNaiveComparison? Naive, string Folder,
    int AtlasK, bool RandomWeights);
