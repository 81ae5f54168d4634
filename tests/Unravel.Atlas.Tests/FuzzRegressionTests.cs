// Regression tests for what fuzzing the atlas's files found (fuzz/README.md: the atlas-manifest, atlas-db and atlas-record
// targets, and fuzz/RESULTS.md for the runs): every input below once escaped a reader with an exception other than
// AtlasFormatException, made it allocate without bound, or made recovery touch files outside the atlas. Each now ends in
// AtlasFormatException naming the file (or, where the file is usable, in a result).

using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Unravel.Atlas.Export;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Report;

namespace Unravel.Atlas.Tests;

public sealed class FuzzRegressionTests : IDisposable
{
    private const string Manifest = """
        {"format": "unravel-atlas/2", "format_version": 2, "model": {"architecture": "small-resnet-16", "source": "random", "sha256": null},
         "dataset": {"inputs": 600, "sha256": "00"}, "seed": 0, "layers": [
          {"name": "layer3", "folder": "layers/layer3", "shape": [64, 7, 7], "neurons": 64, "positions": 49, "inputs": 600, "classes": []}]}
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-atlas-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>An atlas of one layer (layer3, 64 neurons): <paramref name="manifest"/> and an atlas.db made by <paramref name="sql"/>
    /// (the schema AtlasWriter writes unless <paramref name="schema"/> is false).</summary>
    private string Atlas(string manifest = Manifest, string sql = "", bool schema = true)
    {
        string root = Path.Combine(_dir, "atlas");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, AtlasWriter.ManifestFile), manifest);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(root, AtlasWriter.DatabaseFile), Pooling = false }.ToString());
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = (schema ? AtlasWriter.Schema : "") + sql;
        if (command.CommandText.Length > 0) command.ExecuteNonQuery();
        return root;
    }

    private static string WithLayer(string layer) => Manifest.Replace(
        """{"name": "layer3", "folder": "layers/layer3", "shape": [64, 7, 7], "neurons": 64, "positions": 49, "inputs": 600, "classes": []}""", layer,
        StringComparison.Ordinal);

    // --- manifest.json ---

    [Fact]
    public void Manifest_LayerListedTwice_ThrowsAtlasFormat()
    {
        // Before: AtlasReader's layer dictionary threw ArgumentException ("An item with the same key has already been added").
        string layer = """{"name": "layer3", "folder": "layers/layer3", "shape": [64, 7, 7], "neurons": 64, "positions": 49, "inputs": 600}""";
        string root = Atlas(WithLayer(layer + ", " + layer));
        var e = Assert.Throws<AtlasFormatException>(() => AtlasReader.Open(root));
        Assert.EndsWith(AtlasWriter.ManifestFile, e.File);
    }

    [Fact]
    public void Manifest_DuplicateProperty_ThrowsAtlasFormat()
    {
        string root = Atlas(Manifest.Replace("\"seed\": 0", "\"seed\": 0, \"seed\": 1", StringComparison.Ordinal));
        Assert.Throws<AtlasFormatException>(() => AtlasReader.Open(root));
    }

    [Theory]
    [InlineData("""{"name": "a", "folder": "../../etc", "shape": [4], "neurons": 4, "positions": 1, "inputs": 1}""")]
    [InlineData("""{"name": "a", "folder": "/etc", "shape": [4], "neurons": 4, "positions": 1, "inputs": 1}""")]
    [InlineData("""{"name": "a", "folder": "layers/a", "shape": [2147483647], "neurons": 2147483647, "positions": 1, "inputs": 1}""")]
    [InlineData("""{"name": "a", "folder": "layers/a", "shape": [4], "neurons": -4, "positions": 1, "inputs": 1}""")]
    [InlineData("""{"name": "a", "folder": "layers/a", "shape": [0], "neurons": 4, "positions": 0, "inputs": 1}""")]
    [InlineData("""{"name": "", "folder": "layers/a", "shape": [4], "neurons": 4, "positions": 1, "inputs": 1}""")]
    public void Manifest_LayerOutsideTheAtlasOrOfHostileSize_ThrowsAtlasFormat(string layer)
    {
        // A folder outside the atlas would make every array read there; 2^31 - 1 neurons made `--all` allocate 8 GiB.
        string root = Atlas(WithLayer(layer));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<AtlasFormatException>(() => AtlasSession.Open(root));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16L << 20);
    }

    // --- atlas.db ---

    [Fact]
    public void Database_JournalRowNamingAStepOutsideTheAtlas_RefusedAndNothingOutsideTouched()
    {
        // Recovery deleted .staging/<id> recursively and moved the step's files: an id of "../.." deleted the atlas's parent.
        string victim = Path.Combine(_dir, "victim");
        Directory.CreateDirectory(victim);
        File.WriteAllText(Path.Combine(victim, "keep.txt"), "keep");
        string root = Atlas(sql: "INSERT INTO meta VALUES ('commit:../../victim', '[]');");
        Directory.CreateDirectory(Path.Combine(root, AtlasCommit.StagingFolder, "1-0"));
        var e = Assert.Throws<AtlasFormatException>(() => AtlasSession.Open(root));
        Assert.EndsWith(AtlasWriter.DatabaseFile, e.File);
        Assert.True(File.Exists(Path.Combine(victim, "keep.txt")));
    }

    [Theory]
    [InlineData("""["../../victim/keep.txt"]""")]
    [InlineData("""["/etc/passwd"]""")]
    [InlineData("""{"not": "a list"}""")]
    [InlineData("""[null]""")]
    public void Database_JournalRowWithPathsOutsideTheAtlas_Refused(string files)
    {
        string root = Atlas(sql: $"INSERT INTO meta VALUES ('commit:1-0', '{files}');");
        Directory.CreateDirectory(Path.Combine(root, AtlasCommit.StagingFolder, "1-0"));
        Assert.Throws<AtlasFormatException>(() => AtlasSession.Open(root));
    }

    [Fact]
    public void Database_NotASqliteFile_ThrowsAtlasFormat()
    {
        string root = Atlas();
        File.WriteAllBytes(Path.Combine(root, AtlasWriter.DatabaseFile), Encoding.ASCII.GetBytes(new string('x', 4096)));
        Assert.Throws<AtlasFormatException>(() => AtlasDatabase.Open(root));
    }

    [Theory]
    [InlineData("CREATE TABLE meta (key TEXT, value TEXT); CREATE TABLE layers (name TEXT); "
        + "CREATE VIEW neurons AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT 'layer3' AS layer, x AS idx FROM c;")]
    [InlineData("CREATE TABLE meta (key TEXT, value TEXT); CREATE TABLE layers (name TEXT);")]
    [InlineData("CREATE TABLE meta (key TEXT, value TEXT); CREATE TABLE layers (name TEXT); CREATE TABLE neurons (layer TEXT, \"idx\"\" FROM neurons; --\" INTEGER);")]
    public void Database_NotAnAtlasSchema_ThrowsAtlasFormat(string schema)
    {
        // A view of a recursive query never ends; a column name with a quote broke the export's SELECT.
        string root = Atlas(sql: schema, schema: false);
        Assert.Throws<AtlasFormatException>(() => AtlasDatabase.Open(root));
    }

    [Theory]
    [InlineData("INSERT INTO neurons (layer, idx, mean) VALUES ('layer3', 0, 'abc');")]
    [InlineData("INSERT INTO neurons (layer, idx, mean) VALUES ('layer3', 0, x'00ff');")]
    [InlineData("INSERT INTO neurons (layer, idx) VALUES ('layer3', 64);")]
    [InlineData("INSERT INTO neurons (layer, idx) VALUES ('layer3', -1);")]
    public void Database_RowThatIsNoNeuronOfTheLayer_ReportAndExportThrowAtlasFormat(string row)
    {
        // A text or blob in a REAL column escaped as FormatException/InvalidCastException; idx 64 of a 64-neuron layer
        // made a neuron page that does not exist.
        string root = Atlas(sql: row);
        AtlasReader atlas = AtlasReader.Open(root);
        Assert.Throws<AtlasFormatException>(() => new HtmlReport(atlas, ReportSources.None, ReportMode.Served).LayerPage(atlas.Layer("layer3")));
        Assert.Throws<AtlasFormatException>(() => AtlasExport.Neurons(atlas));
    }

    [Fact]
    public void Database_ConceptCountOfTwoBillion_RefusedBeforeAllocating()
    {
        // The overview's histogram had one bin per concept count: 2e9 concepts allocated 16 GB.
        string root = Atlas(sql: "ALTER TABLE neurons ADD COLUMN concepts INTEGER; INSERT INTO neurons (layer, idx, concepts) VALUES ('layer3', 0, 2000000000);");
        AtlasReader atlas = AtlasReader.Open(root);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<AtlasFormatException>(() => new HtmlReport(atlas, ReportSources.None, ReportMode.Served).IndexPage());
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16L << 20);
    }

    [Fact]
    public void Database_IdxDeclaredWithAnUnknownType_ExportSortsByIndex()
    {
        // AFL++ (atlas-db, 15,946 executions): a replaced byte turned "idx INTEGER" into a type SQLite does not know; the export converted
        // idx to its declared type (text) before sorting on it as a number and threw InvalidCastException.
        string root = Atlas(schema: false, sql: "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); CREATE TABLE layers (name TEXT PRIMARY KEY); "
            + "CREATE TABLE neurons (layer TEXT NOT NULL, idx XNTEGER NOT NULL, mean REAL, PRIMARY KEY (layer, idx)); "
            + "INSERT INTO neurons VALUES ('layer3', 10, 0.5), ('layer3', 2, 0.25);");
        ExportTable table = AtlasExport.Neurons(AtlasReader.Open(root));
        Assert.Equal(["2", "10"], table.Rows.Select(r => (string?)r[1]));
    }

    // --- method records ---

    private static string Record(string method, string result) =>
        $$"""{"format_version": 2, "provenance": {"method": "{{method}}", "tool_version": "0.1.0", "model_sha256": null, "dataset_sha256": null, "seed": 0, "options": {}, "created_utc": "2026-12-03T00:00:00Z"}, "layer": "layer3", "neuron": 0, "result": {{result}}}""";

    private const string Concepts = """
        {"ranking": "max", "pooling": "mean", "top_inputs": [1, 2, 3], "top_values": [3, 2, 1], "linkage": [[0, 1, 0.5, 2], [2, 3, 1.0, 3]],
         "cut_height": 0.8, "outlier_radius": null, "scale": 1, "labels": [0, 0, 1],
         "concepts": [{"id": 0, "size": 2, "share": 0.67, "members": [1, 2], "vector": [1, 0], "top_inputs": [1], "top_scores": [1], "label_entropy": null}],
         "polysemanticity": {"concepts": 1, "score": 1, "definition": "d", "separation": 0}, "label_entropy": null}
        """;

    private string? ReadConcepts(string result)
    {
        AtlasReader atlas = AtlasReader.Open(Atlas());
        string file = ConceptsMethod.Instance.PathOf(atlas, "layer3", 0);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, Record("concepts", result));
        IAtlasMethod method = ConceptsMethod.Instance;
        return method.Card(atlas, "layer3", 0);
    }

    [Fact]
    public void Record_Valid_IsRead()
    {
        // The control for the cases below: the same record unharmed gives a card.
        Assert.Contains("1 concepts", ReadConcepts(Concepts));
    }

    [Theory]
    [InlineData("null")]                                                   // smoke loop: Card threw NullReferenceException
    [InlineData("""{"ranking": "max"}""")]                                 // every other field missing
    public void Record_ResultNullOrEmpty_ThrowsAtlasFormat(string result)
    {
        var e = Assert.Throws<AtlasFormatException>(() => ReadConcepts(result));
        Assert.EndsWith("neuron_0.json", e.File);
    }

    [Theory]
    [InlineData("\"pooling\": \"mean\"", "\"pooling\": null")]
    [InlineData("\"concepts\": [{", "\"concepts\": [null, {")]
    [InlineData("\"linkage\": [[0, 1, 0.5, 2], [2, 3, 1.0, 3]]", "\"linkage\": [[0, 1, 0.5, 2], null]")]
    [InlineData("\"polysemanticity\": {\"concepts\": 1, \"score\": 1, \"definition\": \"d\", \"separation\": 0}", "\"polysemanticity\": null")]
    public void Record_NullWhereTheTypeHasNone_ThrowsAtlasFormat(string field, string hostile)
    {
        Assert.Throws<AtlasFormatException>(() => ReadConcepts(Concepts.Replace(field, hostile, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("[[0, 1, 0.5], [2, 3, 1.0, 3]]")]                           // smoke loop: a row of 3 values (ArgumentException from the dendrogram)
    [InlineData("[[0, 1, 0.5, 2], [2, 9, 1.0, 3]]")]                        // a node that does not exist yet
    [InlineData("[[0, 1, 0.5, 2], [2, NaN, 1.0, 3]]")]                      // NaN passed the old range check
    public void Record_MalformedLinkage_ThrowsAtlasFormat(string linkage)
    {
        Assert.Throws<AtlasFormatException>(() => ReadConcepts(Concepts.Replace("[[0, 1, 0.5, 2], [2, 3, 1.0, 3]]", linkage, StringComparison.Ordinal)));
    }

    [Fact]
    public void Record_EmbedImportanceShorterThanItsWindow_ThrowsAtlasFormat()
    {
        // Found while making the seeds: an importance array cut shorter than the central window's tokens made the section
        // throw IndexOutOfRangeException.
        const string embed = """
            {"variant": "v", "selection": "first", "ratio": 0.5, "threshold": 0.5, "maximum": 1, "exact": true,
             "examples": [{"input": 1, "position": 0, "activation": 1, "cluster": 0, "tag": null}, {"input": 2, "position": 0, "activation": 1, "cluster": 0, "tag": null}],
             "linkage": [[0, 1, 0.1, 2]],
             "clusters": [{"id": 0, "size": 2, "central": 0, "members": [0, 1], "windows": [{"input": 1, "key": 0, "tokens": ["a", "b"], "activations": [1, 2]}],
               "importance": [0.5, 0.25], "similar": [], "embedding": null}],
             "max_dist": 0.1, "mean_dist": 0.1, "intra": null, "inter": null, "raw": {"clusters": 1, "max_dist": 0.1, "mean_dist": 0.1}, "ari": null, "nmi": null}
            """;
        AtlasReader atlas = AtlasReader.Open(Atlas());
        string file = EmbedMethod.Instance.PathOf(atlas, "layer3", 0);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, Record("embed", embed));
        Assert.Equal([0.5f, 0.25f], EmbedMethod.Instance.Read(atlas, "layer3", 0)!.Result.Clusters[0].Importance!);   // the control
        File.WriteAllText(file, Record("embed", embed.Replace("\"importance\": [0.5, 0.25]", "\"importance\": [0.5]", StringComparison.Ordinal)));
        Assert.Throws<AtlasFormatException>(() => EmbedMethod.Instance.Read(atlas, "layer3", 0));
    }
}
