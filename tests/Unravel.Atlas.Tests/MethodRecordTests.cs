// The method contract on a real atlas: the concepts stage writes one source-generated record per neuron with its
// provenance envelope, the same type reads it back with equal values, the neurons table gets the method's columns,
// and a record from a newer format or a malformed file is refused naming the file.

using System.Text.Json.Nodes;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Stages;

namespace Unravel.Atlas.Tests;

public sealed class MethodRecordTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-atlas-methods-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ConceptsStage_Records_RoundTripWithProvenanceAndColumns()
    {
        AtlasSession session = AtlasSession.Open(TinyAtlas.Write(_dir));
        var progress = new List<StageProgress>();
        ConceptsStageResult run = new ConceptsStage().Run(new ConceptsRequest(session, "layer3", [3, 5]) { TopK = 12 }, new SyncProgress(progress));
        Assert.Equal([3, 5], run.Neurons.Select(n => n.Neuron));
        Assert.Equal([1, 2], progress.Select(p => p.Done));

        foreach (ConceptsNeuron n in run.Neurons)
        {
            NeuronRecord<ConceptsRecord> read = ConceptsMethod.Instance.Read(session.Atlas, "layer3", n.Neuron)!;
            Assert.Equal(AtlasFormat.Version, read.FormatVersion);
            Assert.Equal("concepts", read.Provenance.Method);
            Assert.Equal(session.Atlas.DatasetSha256, read.Provenance.DatasetSha256);
            Assert.Equal(12, read.Provenance.Options["top_k"]!.GetValue<int>());
            Assert.Equal(n.Record.TopInputs, read.Result.TopInputs);
            Assert.Equal(n.Record.Labels, read.Result.Labels);
            Assert.Equal(n.Record.Polysemanticity, read.Result.Polysemanticity);
            Assert.Equal(n.Record.Concepts.Length, read.Result.Concepts.Length);
            for (int c = 0; c < n.Record.Concepts.Length; c++)
            {
                Assert.Equal(n.Record.Concepts[c].Members, read.Result.Concepts[c].Members);
                Assert.Equal(n.Record.Concepts[c].Vector, read.Result.Concepts[c].Vector);
            }
        }
        Assert.Equal([3, 5], ConceptsMethod.Instance.Analysed(session.Atlas, "layer3"));
        using AtlasDatabase db = AtlasDatabase.Open(session.Atlas);
        (_, List<object?[]> rows) = db.Query("SELECT idx, concepts, polysemanticity FROM neurons WHERE layer = 'layer3' AND concepts IS NOT NULL ORDER BY idx");
        Assert.Equal([3L, 5L], rows.Select(r => (long)r[0]!));
        Assert.Equal(run.Neurons.Select(n => (double)n.Record.Polysemanticity.Score), rows.Select(r => (double)r[2]!));
    }

    [Fact]
    public void Read_NewerRecordOrMalformedFile_RefusedNamingTheFile()
    {
        AtlasSession session = AtlasSession.Open(TinyAtlas.Write(_dir));
        new ConceptsStage().Run(new ConceptsRequest(session, "layer3", [0]) { TopK = 12 });
        string file = ConceptsMethod.Instance.PathOf(session.Atlas, "layer3", 0);
        JsonObject json = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        json["format_version"] = AtlasFormat.Version + 1;
        File.WriteAllText(file, json.ToJsonString());
        AtlasFormatException newer = Assert.Throws<AtlasFormatException>(() => ConceptsMethod.Instance.Read(session.Atlas, "layer3", 0));
        Assert.Contains("neuron_0.json", newer.Message);
        Assert.Contains($"format_version {AtlasFormat.Version + 1}", newer.Message);

        File.WriteAllText(file, "{ \"format_version\": 2, ");
        AtlasFormatException broken = Assert.Throws<AtlasFormatException>(() => ConceptsMethod.Instance.Read(session.Atlas, "layer3", 0));
        Assert.Contains("neuron_0.json: not a concepts result", broken.Message);
    }

    [Fact]
    public void Registry_Names_AreUniqueAndColumnsDoNotCollide()
    {
        Assert.Equal(MethodRegistry.All.Count, MethodRegistry.All.Select(m => m.Name).Distinct().Count());
        string[] columns = [.. MethodRegistry.Columns.Select(c => c.Name)];
        Assert.Equal(columns.Length, columns.Distinct().Count());
        Assert.DoesNotContain(columns, AtlasWriter.NeuronColumns.Contains);
        Assert.Same(ConceptsMethod.Instance, MethodRegistry.Get("concepts"));
        Assert.Contains("concepts, pure", Assert.Throws<UnravelException>(() => MethodRegistry.Get("nope")).Hint);
    }

    [Fact]
    public void Session_UnknownLayerAndNeuron_UserErrorsListingValidOnes()
    {
        AtlasSession session = AtlasSession.Open(TinyAtlas.Write(_dir));
        LayerNotCollectedException layer = Assert.Throws<LayerNotCollectedException>(() => session.Layer("layer9"));
        Assert.Contains("layer9", layer.Message);
        Assert.Contains("layer3", layer.Message);
        AtlasLayer layer3 = session.Layer("layer3");
        UnravelException neuron = Assert.Throws<UnravelException>(() => session.Neurons(layer3, [layer3.Neurons]));
        Assert.Contains($"layer 'layer3' has {layer3.Neurons} neurons", neuron.Message);
    }

    private sealed class SyncProgress(List<StageProgress> seen) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) => seen.Add(value);
    }
}
