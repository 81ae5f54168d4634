// What the concepts stage did, for the command's table or JSON.

using Unravel.Interpret.Concepts;

namespace Unravel.Atlas.Stages;

/// <summary>The outcome of a concepts run.</summary>
/// <param name="Layer">The layer (resolved name).</param>
/// <param name="Request">The request as run.</param>
/// <param name="Neurons">One entry per analysed neuron, in request order.</param>
/// <param name="RowLabels">Class label of every pooled row, when the dataset has labels.</param>
/// <param name="Elapsed">Time spent analysing.</param>
public sealed record ConceptsStageResult(AtlasLayer Layer, ConceptsRequest Request, IReadOnlyList<ConceptsNeuron> Neurons, int[]? RowLabels, TimeSpan Elapsed)
{
    /// <summary>The options used.</summary>
    public ConceptOptions Options => Request.Options;
}
