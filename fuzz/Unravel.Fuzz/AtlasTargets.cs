// Fuzz targets for the files of an atlas, read by Unravel.Atlas: manifest.json, atlas.db and the methods' per-neuron
// records. Each writes the input into a scratch atlas whose other files are fixed and valid, then runs what opening the
// atlas, the report and the explorer run on that file; only AtlasFormatException may end a run. SQLite's own parsing of
// a database file is out of scope (SQLite is fuzzed by its authors); what is fuzzed is what Unravel does with the
// tables, rows and journal entries a hostile database holds.

using System.Text;
using Microsoft.Data.Sqlite;
using Unravel.Atlas;
using Unravel.Atlas.Export;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Report;

namespace Unravel.Fuzz;

/// <summary>The atlas-manifest, atlas-db and atlas-record targets.</summary>
internal static class AtlasTargets
{
    /// <summary>The method-record target's first byte selects the file (modulo their count); the rest is its content.</summary>
    public static IReadOnlyList<string> RecordKinds { get; } = ["concepts", "pure", "split", "explain", "score", "embed", "split-find", "feature-images"];

    private const string RecordLayer = "layer3";

    // The fixed manifest of the database and record targets: layer3 of the seed atlas, a Fashion ResNet (the seed
    // database's rows of its other layer, layer2, are read by the export only).
    private const string FixedManifest = """
        {"format": "unravel-atlas/2", "format_version": 2, "model": {"architecture": "small-resnet-16", "source": "random", "sha256": null},
         "dataset": {"inputs": 600, "sha256": "00"}, "seed": 0, "layers": [
          {"name": "layer3", "folder": "layers/layer3", "shape": [64, 7, 7], "neurons": 64, "positions": 49, "inputs": 600, "classes": []}]}
        """;

    private static readonly Lazy<string> s_manifestAtlas = new(() => CreateAtlas("manifest-atlas", manifest: null, database: true));
    private static readonly Lazy<string> s_databaseAtlas = new(() => CreateAtlas("db-atlas", FixedManifest, database: false));
    private static readonly Lazy<AtlasReader> s_recordAtlas = new(() => AtlasReader.Open(CreateAtlas("record-atlas", FixedManifest, database: true)));

    /// <summary>Input: manifest.json. Opens the atlas as every command does, reads each recorded field and layer, selects
    /// every neuron of each layer (`--all`) and renders the overview page (which shows the manifest's values).</summary>
    public static void Manifest(byte[] input)
    {
        string root = s_manifestAtlas.Value;
        File.WriteAllBytes(Path.Combine(root, AtlasWriter.ManifestFile), input);
        AtlasSession session = AtlasSession.Open(root);
        AtlasReader atlas = session.Atlas;
        _ = (atlas.Architecture, atlas.ModelSource, atlas.ModelSha256, atlas.ModelConfig, atlas.Seed, atlas.Inputs, atlas.DatasetSha256,
            atlas.Dataset, atlas.FormatVersion);
        foreach (AtlasLayer layer in session.Layers)
        {
            session.Neurons(session.Layer(layer.Name), null);
            AtlasWriter.LayerFolder(layer.Name);
        }
        new HtmlReport(atlas, ReportSources.None, ReportMode.Served).IndexPage();
    }

    /// <summary>Input: atlas.db. Recovers a commit left in the journal (a staged step is always present), renders the overview
    /// and every layer page (the neurons table), and exports the neurons table.</summary>
    public static void Database(byte[] input)
    {
        string root = s_databaseAtlas.Value;
        string file = Path.Combine(root, AtlasWriter.DatabaseFile);
        foreach (string side in new[] { "-journal", "-wal", "-shm" }) File.Delete(file + side);
        File.WriteAllBytes(file, input);
        Directory.CreateDirectory(Path.Combine(root, AtlasCommit.StagingFolder, "1-0123456789abcdef0123456789abcdef"));
        AtlasSession session = AtlasSession.Open(root);   // finishes or discards the staged step, reading the journal rows
        var report = new HtmlReport(session.Atlas, ReportSources.None, ReportMode.Served);
        report.IndexPage();
        foreach (AtlasLayer layer in session.Layers) report.LayerPage(layer);
        AtlasExport.Neurons(session.Atlas);
    }

    /// <summary>Input: a kind byte (see <see cref="RecordKinds"/>), then the file. A neuron record is read as the report reads it
    /// (the references it prepares, its card, its availability and its section); a split search and a feature-visualisation
    /// index are read and shown.</summary>
    public static void MethodRecord(byte[] input)
    {
        if (input.Length == 0) return;
        AtlasReader atlas = s_recordAtlas.Value;
        AtlasLayer layer = atlas.Layer(RecordLayer);
        string kind = RecordKinds[input[0] % RecordKinds.Count];
        byte[] content = input[1..];
        switch (kind)
        {
            case "split-find":
                WriteThen(SplitMethod.Instance.FindPath(atlas, RecordLayer), content, () => SplitMethod.Instance.ReadFind(atlas, RecordLayer));
                break;
            case "feature-images":
                WriteThen(FeatureImageStore.IndexPath(atlas, "split", RecordLayer, 0), content, () =>
                {
                    if (FeatureImageStore.Read(atlas, "split", RecordLayer, 0) is { } index)
                        foreach (FeatureImage image in index.Images) FeatureImageStore.Figure(atlas, "split", index, image.Name, "#000");
                });
                break;
            default:
                IAtlasMethod method = MethodRegistry.Get(kind);
                WriteThen(method.PathOf(atlas, RecordLayer, 0), content, () =>
                {
                    _ = method.References(atlas, RecordLayer, 0).ToList();
                    method.Card(atlas, RecordLayer, 0);
                    method.Unavailable(atlas, layer, 0);
                    method.Section(new ReportContext(atlas, new ReferenceRenderer(ReportSources.None, layer, 0), ReportMode.Served), RecordLayer, 0);
                });
                break;
        }
    }

    /// <summary>Places <paramref name="content"/> at <paramref name="path"/> for the duration of <paramref name="read"/> only, so
    /// that the next input (maybe of another method, whose availability looks at this one's files) starts from the same atlas.</summary>
    private static void WriteThen(string path, byte[] content, Action read)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        try
        {
            read();
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string CreateAtlas(string name, string? manifest, bool database)
    {
        string root = Path.Combine(Targets.Scratch, name);
        Directory.CreateDirectory(root);
        if (manifest is not null) File.WriteAllText(Path.Combine(root, AtlasWriter.ManifestFile), manifest, Encoding.UTF8);
        if (database)
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(root, AtlasWriter.DatabaseFile), Pooling = false,
            }.ToString());
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = AtlasWriter.Schema;
            command.ExecuteNonQuery();
        }
        return root;
    }
}
