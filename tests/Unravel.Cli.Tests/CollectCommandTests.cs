// `unravel collect`, `neurons` and `query` end to end on a tiny IDX dataset written by the test; and the collect stage
// writing the atlas `unravel collect` writes: the same arrays byte for byte, the same manifest (but for the time stamps
// and the command line) and the same database rows, for the command, for a request built by hand as `unravel demo`
// builds it, and for the collector and writer called directly (the sequence the command ran before the stage existed).

using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Unravel.Atlas.Stages;
using Unravel.Interpret.Collection;

namespace Unravel.Cli.Tests;

public sealed class CollectCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-collect-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Error)> Invoke(params string[] args)
    {
        RootCommand root = new() { CollectCommand.Create(), NeuronsCommand.Create(), QueryCommand.Create() };
        var error = new StringWriter();
        int code = await CliRunner.InvokeAsync(root, args, error);
        return (code, error.ToString());
    }

    [Fact]
    public void Collect_ThenNeuronsAndQuery_ListTheStatistics()
    {
        string data = IdxFiles.WriteRandom(_dir, 40, seed: 5, label: i => i % 10);
        string atlas = Path.Combine(_dir, "atlas");
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request("small-resnet", data, "layer3, fc", atlas, K: 5, Batch: 16, Limit: 30), output, error));
        Assert.Contains("collected 30 inputs", output.ToString());
        Assert.Contains("30/30", error.ToString());
        Assert.True(File.Exists(Path.Combine(atlas, "layers", "fc", "class_9_top_max_indices.npy")));   // labels found next to the images

        output = new StringWriter();
        NeuronsCommand.Run(atlas, "fc", "max", ascending: false, top: 3, json: true, output);
        using JsonDocument doc = JsonDocument.Parse(output.ToString());
        double[] max = doc.RootElement.GetProperty("neurons").EnumerateArray().Select(n => n.GetProperty("max").GetDouble()).ToArray();
        Assert.Equal(3, max.Length);
        Assert.Equal(max.OrderDescending(), max);

        output = new StringWriter();
        QueryCommand.Run(atlas, "SELECT layer, COUNT(*) AS n FROM neurons GROUP BY layer ORDER BY layer", json: true, output);
        using JsonDocument q = JsonDocument.Parse(output.ToString());
        Assert.Equal([10, 128], q.RootElement.EnumerateArray().Select(r => r.GetProperty("n").GetInt32()));
    }

    [Fact]
    public async Task Collect_UnknownLayer_UsageErrorListsValidNames()
    {
        string data = IdxFiles.WriteRandom(_dir, 4, seed: 5, label: i => i % 10);
        (int code, string error) = await Invoke("collect", "small-resnet", "--data", data, "--layers", "layer9", "--out", Path.Combine(_dir, "a"));
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("layer9", error);
        Assert.Contains("layer3", error);
        Assert.Contains("hint:", error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "a")));
    }

    [Fact]
    public async Task Query_Write_IsRefused()
    {
        string data = IdxFiles.WriteRandom(_dir, 8, seed: 5, label: i => i % 10);
        string atlas = Path.Combine(_dir, "atlas");
        CollectCommand.Run(new CollectCommand.Request("small-resnet", data, "fc", atlas, K: 2, Batch: 8), TextWriter.Null, TextWriter.Null);
        (int code, string error) = await Invoke("query", atlas, "DELETE FROM neurons");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("readonly", error);
        (code, error) = await Invoke("collect", "small-resnet", "--data", data, "--layers", "fc", "--out", atlas);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("already exists", error);
        (code, error) = await Invoke("neurons", atlas, "--layer", "layer2");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("layers: fc", error);
    }

    [Fact]
    public void CollectStage_HandBuiltRequestAndDirectWrite_SameAtlasAsCommand()
    {
        string data = IdxFiles.WriteRandom(_dir, 24, seed: 11, label: i => i * 3 % 10);
        string labels = Path.Combine(_dir, "t10k-labels-idx1-ubyte");
        string command = Path.Combine(_dir, "command"), stage = Path.Combine(_dir, "stage"), direct = Path.Combine(_dir, "direct");
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request("small-resnet", data, "layer3,fc", command, K: 4, Batch: 8, Limit: 20)
            { CheckpointEvery = -1 }, TextWriter.Null, TextWriter.Null));

        LoadedModel model = ModelReference.Load("small-resnet");
        var spec = new DatasetSpec("idx", Path.GetFullPath(data), Path.GetFullPath(labels));
        var progress = new List<StageProgress>();
        new CollectStage().Run(new CollectRequest(model, spec.Open(model.Model, 20), spec, ["layer3", "fc"], stage) { K = 4, Batch = 8, Limit = 20, CheckpointEvery = -1 },
            new Recorder(progress));
        Assert.Equal(20, progress[^1].Done);
        Assert.All(progress, p => Assert.Equal("collect", p.Stage));

        ICollectionDataset dataset = spec.Open(model.Model, 20);   // as the command reads it: only the first 20 images
        var options = new CollectionOptions { TopK = 4, ClassTopK = 4, Seed = 0, KeepPooled = true, Quantiles = 11 };
        CollectionResult result = Collector.Run(model.Model, dataset, ["layer3", "fc"], options, new CollectionRunOptions { BatchSize = 8, Limit = 20 });
        AtlasWriter.Write(direct, result with { State = null }, options, new AtlasProvenance(AtlasFormat.ToolVersion, model.Architecture, model.Source,
            model.Sha256, spec.Path, dataset.Description, dataset.ContentSha256, "direct", spec, model.Config), references: new ReferenceSource(model.Model, dataset, false, 8));

        foreach (string other in new[] { stage, direct })
        {
            string[] files = Files(command);
            Assert.Equal(files, Files(other));
            Assert.Contains(Path.Combine("layers", "fc", "class_9_top_max_indices.npy"), files);
            foreach (string f in files.Where(f => f.EndsWith(".npy", StringComparison.Ordinal) || f.EndsWith(".png", StringComparison.Ordinal)))
                Assert.True(File.ReadAllBytes(Path.Combine(command, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(other, f))), f);
            Assert.Equal(Manifest(command), Manifest(other));
            foreach (string table in new[] { "meta", "layers", "neurons" })
                Assert.Equal(Rows(command, table), Rows(other, table));
        }
    }

    private static string[] Files(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal)];

    /// <summary>The manifest without what differs from run to run: the creation time, the command line and the timings.</summary>
    private static string Manifest(string root)
    {
        JsonObject m = JsonNode.Parse(File.ReadAllText(Path.Combine(root, AtlasWriter.ManifestFile)))!.AsObject();
        foreach (string key in new[] { "created_utc", "command", "timings_s" }) Assert.True(m.Remove(key), key);
        return m.ToJsonString();
    }

    private static List<string> Rows(string root, string table)
    {
        using AtlasDatabase db = AtlasDatabase.Open(root);
        return [.. db.Query($"SELECT * FROM {table} ORDER BY 1, 2").Rows.Select(r => string.Join("|", r.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))))];
    }

    private sealed class Recorder(List<StageProgress> seen) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) => seen.Add(value);
    }
}
