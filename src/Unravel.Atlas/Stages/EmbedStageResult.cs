// What the neuron-embeddings stage did, for the command's table or JSON.

using Unravel.Interpret.NeuronEmbeddings;

namespace Unravel.Atlas.Stages;

/// <summary>The outcome of an embed run.</summary>
/// <param name="Layer">The layer (resolved name).</param>
/// <param name="Request">The request as run.</param>
/// <param name="Block">The transformer block whose MLP the layer is.</param>
/// <param name="Windows">Token windows the example pass read.</param>
/// <param name="Neurons">Neurons with at least two usable examples, in request order.</param>
/// <param name="TooFewExamples">Requested neurons with fewer than two examples (no record written).</param>
/// <param name="Summary">Median and mean metrics over <paramref name="Neurons"/> (neuron embeddings).</param>
/// <param name="RawSummary">The same for the raw pre-MLP vectors.</param>
/// <param name="Agreement">Median ARI and NMI against part-of-speech tags over neurons with ≥ 2 clusters (Brown data), or null.</param>
/// <param name="Timings">Seconds per step: examples, embeddings, clustering, windows and importance.</param>
/// <param name="Elapsed">Total time.</param>
public sealed record EmbedStageResult(AtlasLayer Layer, EmbedRequest Request, int Block, int Windows, IReadOnlyList<EmbedNeuron> Neurons,
    int[] TooFewExamples, PolysemanticitySummary Summary, PolysemanticitySummary? RawSummary, (double Ari, double Nmi, int Neurons)? Agreement,
    IReadOnlyList<(string Step, double Seconds)> Timings, TimeSpan Elapsed)
{
    /// <summary>The exact similar-feature search: layers searched (this one and those embedded earlier), features
    /// (clusters), similarities computed (features²) and seconds.</summary>
    public (int Layers, int Features, long Pairs, double Seconds) SimilarSearch { get; init; }
}
