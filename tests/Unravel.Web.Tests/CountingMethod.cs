// A registered method wrapped for the explorer's load test: does exactly what the method does, and counts which neurons
// its on-demand analysis ran on, so a run repeated by concurrent requests shows up.

using System.Collections.Concurrent;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Report;

namespace Unravel.Web.Tests;

internal sealed class CountingMethod(IAtlasMethod inner) : IAtlasMethod
{
    public ConcurrentQueue<(string Layer, int Neuron)> Calls { get; } = new();

    public string Name => inner.Name;

    public string Title => inner.Title;

    public IReadOnlyList<NeuronColumn> Columns => inner.Columns;

    public string PathOf(AtlasReader atlas, string layer, int neuron) => inner.PathOf(atlas, layer, neuron);

    public IReadOnlyList<int> Analysed(AtlasReader atlas, string layer) => inner.Analysed(atlas, layer);

    public void Index(AtlasReader atlas, string layer, IReadOnlyList<int> neurons) => inner.Index(atlas, layer, neurons);

    public IEnumerable<long> References(AtlasReader atlas, string layer, int neuron) => inner.References(atlas, layer, neuron);

    public string? Card(AtlasReader atlas, string layer, int neuron) => inner.Card(atlas, layer, neuron);

    public string? Section(ReportContext context, string layer, int neuron) => inner.Section(context, layer, neuron);

    public void AnalyseNeuron(AtlasSession session, string layer, int neuron, CancellationToken cancellationToken)
    {
        Calls.Enqueue((layer, neuron));
        inner.AnalyseNeuron(session, layer, neuron, cancellationToken);
    }
}
