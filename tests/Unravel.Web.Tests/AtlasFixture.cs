// A small real atlas for the report, explorer and browser tests: the shipped Fashion-MNIST model collected over the
// first 40 test images (layers layer2 and layer3), plus hand-made method records written through the registered
// methods: concept vectors for layer3 neurons 0 and 1, and PURE for layer3 neuron 0. Built once per test class.

using System.Text.Json.Nodes;
using Unravel.Cli;
using Unravel.Interpret.Collection;
using Unravel.Atlas.Methods;
using Unravel.Atlas;

namespace Unravel.Web.Tests;

public sealed class AtlasFixture : IDisposable
{
    public const string Layer = "layer3";
    public const int Inputs = 40;

    public AtlasFixture()
    {
        Dir = Directory.CreateTempSubdirectory("unravel-report-tests-").FullName;
        AtlasPath = Path.Combine(Dir, "atlas");
        int code = CollectCommand.Run(new CollectCommand.Request(Assets.PathOf("models", "fashion-small-resnet", "model.safetensors"),
            Assets.PathOf("data", "fashion-mnist", "t10k-images-idx3-ubyte.gz"), "layer2,layer3", AtlasPath, Arch: "small-resnet-16",
            Labels: Assets.PathOf("data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz"), K: 12, Batch: 20, Limit: Inputs), TextWriter.Null, TextWriter.Null);
        Assert.Equal(ExitCodes.Success, code);
        Atlas = AtlasReader.Open(AtlasPath);
        Concepts0 = WriteConcepts(0, split: 5);
        Concepts1 = WriteConcepts(1, split: 9);
        Pure0 = WritePure(0);
    }

    public string Dir { get; }

    public string AtlasPath { get; }

    public AtlasReader Atlas { get; }

    /// <summary>The concept record written for layer3 neuron 0 (2 concepts + 1 outlier).</summary>
    public ConceptsRecord Concepts0 { get; }

    /// <summary>The concept record written for layer3 neuron 1.</summary>
    public ConceptsRecord Concepts1 { get; }

    /// <summary>The PURE record written for layer3 neuron 0 (2 virtual neurons).</summary>
    public PureRecord Pure0 { get; }

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    /// <summary>Concepts of a neuron: its 12 top inputs, the first <paramref name="split"/> in concept 0, the rest but
    /// the last in concept 1, the last an outlier; a chain linkage (merge i joins the previous cluster with leaf i + 1).</summary>
    private ConceptsRecord WriteConcepts(int neuron, int split)
    {
        TopInputs top = Atlas.TopInputs(Layer, neuron);
        long[] inputs = top.Inputs;
        int n = inputs.Length;
        int[] labels = Enumerable.Range(0, n).Select(i => i == n - 1 ? -1 : i < split ? 0 : 1).ToArray();
        double[][] linkage = [.. Enumerable.Range(0, n - 1).Select(i => new double[] { i == 0 ? 0 : n + i - 1, i + 1, 0.1 * (i + 1), i + 2 })];
        ConceptRecord[] concepts = [.. Enumerable.Range(0, 2).Select(c =>
        {
            long[] members = inputs.Where((_, i) => labels[i] == c).ToArray();
            return new ConceptRecord(c, members.Length, (double)members.Length / n, members, [.. Enumerable.Repeat(0.125f, 64)], [.. members.Reverse()],
                [.. members.Select((_, i) => 3f - 0.25f * i)], 0.5 * c);
        })];
        var record = new ConceptsRecord("max", "mean", inputs, top.Values, linkage, 0.1 * (split + 0.5), null, 1, labels, concepts,
            new PolysemanticityRecord(2, 0.25 + neuron, "test definition", 1), null);
        ConceptsMethod.Instance.Write(Atlas, Layer, Provenance(ConceptsMethod.Instance.Name), [(neuron, record)]);
        return record;
    }

    private PureRecord WritePure(int neuron)
    {
        long[] refs = Atlas.TopInputs(Layer, neuron).Inputs;
        VirtualNeuronRecord[] vns = [.. Enumerable.Range(0, 2).Select(v =>
        {
            long[] members = refs.Where((_, i) => i % 2 == v).ToArray();
            return new VirtualNeuronRecord(v, members.Length, (double)members.Length / refs.Length, [.. Enumerable.Repeat(0.5f, 32)], members, members,
                [.. members.Select((_, i) => 2f - 0.1f * i)]);
        })];
        var record = new PureRecord("layer2", 2, refs, [.. refs.Select((_, i) => i % 2)], [.. refs.Select(_ => 1f)], null, vns,
            new Dictionary<string, double> { ["2"] = 0.4, ["3"] = 0.3 }, null);
        PureMethod.Instance.Write(Atlas, Layer, Provenance(PureMethod.Instance.Name), [(neuron, record)]);
        return record;
    }

    private Provenance Provenance(string method) =>
        new(method, "0.1.0", Atlas.ModelSha256, Atlas.DatasetSha256, 0, new JsonObject { ["k"] = 2 }, new DateTime(2026, 11, 21, 0, 0, 0, DateTimeKind.Utc));
}
