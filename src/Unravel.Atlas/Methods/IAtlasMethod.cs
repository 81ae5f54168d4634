// What the atlas, the report, `unravel neurons` and the explorer know about an analysis method, without knowing its
// record type: MethodRegistry lists every method once, and each of those consumers iterates the registry. A method
// implements this by deriving from AtlasMethod<TResult> (docs/adding-a-method.md).

using Unravel.Atlas.Report;

namespace Unravel.Atlas.Methods;

/// <summary>An analysis method as the atlas layer sees it.</summary>
public interface IAtlasMethod
{
    /// <summary>Registry name: the folder under methods/, <see cref="Provenance.Method"/>, the explorer's route segment.</summary>
    string Name { get; }

    /// <summary>Human title ("Concept vectors"): report headings, the explorer's button.</summary>
    string Title { get; }

    /// <summary>Columns it adds to the neurons table, in display order.</summary>
    IReadOnlyList<NeuronColumn> Columns { get; }

    /// <summary>Path of a neuron's result file (it may not exist).</summary>
    string PathOf(AtlasReader atlas, string layer, int neuron);

    /// <summary>Writes atlas.db's columns and tables for the stored records of <paramref name="neurons"/> in one transaction
    /// (records written by neuron shards, which leave the database alone).</summary>
    /// <exception cref="AtlasFormatException">A neuron has no record, or a malformed one.</exception>
    void Index(AtlasReader atlas, string layer, IReadOnlyList<int> neurons);

    /// <summary>Neurons of <paramref name="layer"/> with a result, ascending.</summary>
    IReadOnlyList<int> Analysed(AtlasReader atlas, string layer);

    /// <summary>Dataset indices the report should prepare (render) for the neuron's section; empty without a result.</summary>
    /// <exception cref="AtlasFormatException">The result file is malformed or from a newer format.</exception>
    IEnumerable<long> References(AtlasReader atlas, string layer, int neuron);

    /// <summary>A short summary card for the top of the neuron page, or null without a result.</summary>
    string? Card(AtlasReader atlas, string layer, int neuron);

    /// <summary>The neuron page's section (HTML), or null without a result.</summary>
    string? Section(ReportContext context, string layer, int neuron);

    /// <summary>Why <see cref="AnalyseNeuron"/> cannot run on this neuron with its default options (one line naming what
    /// is missing and what to run instead), or null when it can. Read from the atlas alone (its dataset kind, the layer,
    /// the records of other methods), without loading the model: the report shows a button only where this is null,
    /// and the explorer refuses the POST with this reason (400). The stage stays the authority for what only the model
    /// can tell.</summary>
    /// <exception cref="AtlasFormatException">A record it reads is malformed.</exception>
    string? Unavailable(AtlasReader atlas, AtlasLayer layer, int neuron) => null;

    /// <summary>Runs the method on one neuron with its default options and stores the result (the explorer's "analyse").</summary>
    /// <exception cref="UnravelException">The method cannot run on this atlas or layer.</exception>
    void AnalyseNeuron(AtlasSession session, string layer, int neuron, CancellationToken cancellationToken);
}
