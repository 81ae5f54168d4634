// A registered-method stand-in for the explorer tests: records which neurons the analyse endpoint asked for.

using Unravel.Atlas.Methods;
using Unravel.Atlas.Report;

namespace Unravel.Web.Tests;

internal sealed class RecordingMethod : IAtlasMethod
{
    public List<(string Layer, int Neuron)> Calls { get; } = [];

    public string Name => "recording";

    public string Title => "Recording";

    public IReadOnlyList<NeuronColumn> Columns => [];

    public string PathOf(AtlasReader atlas, string layer, int neuron) => Path.Combine(atlas.Root, "methods", Name, $"neuron_{neuron}.json");

    public IReadOnlyList<int> Analysed(AtlasReader atlas, string layer) => [];

    public void Index(AtlasReader atlas, string layer, IReadOnlyList<int> neurons) => throw new NotSupportedException("the recording method has no records to index");

    public IEnumerable<long> References(AtlasReader atlas, string layer, int neuron) => [];

    public string? Card(AtlasReader atlas, string layer, int neuron) => null;

    public string? Section(ReportContext context, string layer, int neuron) => null;

    public void AnalyseNeuron(AtlasSession session, string layer, int neuron, CancellationToken cancellationToken) => Calls.Add((layer, neuron));
}
