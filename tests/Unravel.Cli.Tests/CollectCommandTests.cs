// `unravel collect`, `neurons` and `query` end to end on a tiny IDX dataset written by the test.

using System.CommandLine;
using System.Text.Json;

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
}
