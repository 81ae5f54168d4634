// `--neurons-shard i/n` + `unravel merge-records`: concept vectors of a layer run as three shards, in two different
// orders, and merged give the atlas.db rows and record files (apart from their time stamp) of one unsharded run; a
// shard leaves atlas.db alone until the merge; a missing shard, a bad slice and a merge with nothing to merge exit 2.

using System.Text.Json.Nodes;

namespace Unravel.Cli.Tests;

public sealed class NeuronShardCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-neuron-shards-").FullName;
    private readonly string _atlas;

    public NeuronShardCommandTests()
    {
        _atlas = Path.Combine(_dir, "atlas");
        int code = CollectCommand.Run(new CollectCommand.Request("fashion-small-resnet", CliFixture.Images, "layer2", _atlas, K: 12, Batch: 20, Limit: 40,
            Labels: Assets.PathOf("data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz")), TextWriter.Null, TextWriter.Null);
        Assert.Equal(ExitCodes.Success, code);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ConceptShards_InAnyOrder_MergeToTheUnshardedRun()
    {
        string whole = Copy("whole"), forward = Copy("forward"), shuffled = Copy("shuffled");
        Assert.Equal(ExitCodes.Success, ConceptsCommand.Run(new ConceptsCommand.Request(whole, "layer2"), TextWriter.Null, TextWriter.Null));
        foreach ((string atlas, int[] order) in new[] { (forward, new[] { 0, 1, 2 }), (shuffled, new[] { 2, 0, 1 }) })
        {
            foreach (int i in order)
            {
                var error = new StringWriter();
                Assert.Equal(ExitCodes.Success, ConceptsCommand.Run(new ConceptsCommand.Request(atlas, "layer2") { NeuronsShard = $"{i}/3" }, TextWriter.Null, error));
                Assert.Contains($"neurons shard {i}/3 from command line", error.ToString());
            }
            Assert.DoesNotContain(ScaleTestHelpers.DatabaseRows(atlas), r => r.StartsWith("concepts|", StringComparison.Ordinal));   // shards leave atlas.db alone
            Assert.Equal(32, Directory.GetFiles(Path.Combine(atlas, "methods", "concepts", "layer2"), "neuron_*.json").Length);
            var output = new StringWriter();
            Assert.Equal(ExitCodes.Success, MergeRecordsCommand.Run(atlas, output));
            Assert.Equal("concepts on layer2: 3 shards, 32 neurons indexed", output.ToString().Trim());
            Assert.False(Directory.Exists(Path.Combine(atlas, "methods", "concepts", "layer2", "shards")));
        }
        List<string> expected = ScaleTestHelpers.DatabaseRows(whole);
        Assert.Contains(expected, r => r.StartsWith("concepts|", StringComparison.Ordinal));
        Assert.Equal(expected, ScaleTestHelpers.DatabaseRows(forward));
        Assert.Equal(expected, ScaleTestHelpers.DatabaseRows(shuffled));
        for (int n = 0; n < 32; n++)
        {
            string record = Record(whole, n);
            Assert.Equal(record, Record(forward, n));
            Assert.Equal(record, Record(shuffled, n));
        }
    }

    [Fact]
    public void MissingShard_IsRefusedByTheMerge_AndNothingIsIndexed()
    {
        string atlas = Copy("partial");
        ConceptsCommand.Run(new ConceptsCommand.Request(atlas, "layer2") { NeuronsShard = "0/3" }, TextWriter.Null, TextWriter.Null);
        ConceptsCommand.Run(new ConceptsCommand.Request(atlas, "layer2") { NeuronsShard = "2/3" }, TextWriter.Null, TextWriter.Null);
        var e = Assert.ThrowsAny<UnravelException>(() => MergeRecordsCommand.Run(atlas, TextWriter.Null));
        Assert.Contains("concepts on 'layer2': shard(s) 1 of 3 have not written their records", e.Message);
        Assert.Equal("wait for them, or re-run them with --neurons-shard i/3", e.Hint);
        Assert.DoesNotContain(ScaleTestHelpers.DatabaseRows(atlas), r => r.StartsWith("concepts|", StringComparison.Ordinal));
    }

    public static TheoryData<string, string> Mistakes => new()
    {
        { "concepts {atlas} --layer layer2 --neurons-shard 3/3", "--neurons-shard 3/3 is not i/n" },
        { "pure {atlas} --layer layer2 --neurons-shard 1", "--neurons-shard 1 is not i/n" },
        { "explain {atlas} --layer layer2 --neurons-shard auto/0", "--neurons-shard auto/0 is not auto/N" },
        { "embed {atlas} --layer layer2 --neurons-shard auto", "--neurons-shard auto: no scheduler environment found" },
        { "merge-records {atlas}", "no neuron shards to merge" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task Mistake_ExitCode2_OneMessageAndHint(string command, string expected)
    {
        (int code, _, string error) = await ScaleTestHelpers.Invoke(command.Replace("{atlas}", _atlas, StringComparison.Ordinal).Split(' '));
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(code == ExitCodes.UsageError, $"exit code {code}: {error}");
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.StartsWith("hint: ", lines[1]);
    }

    private string Copy(string name) => ScaleTestHelpers.CopyAtlas(_atlas, Path.Combine(_dir, name));

    /// <summary>A neuron's concepts record without its time stamp.</summary>
    private static string Record(string atlas, int neuron)
    {
        JsonObject record = JsonNode.Parse(File.ReadAllText(Path.Combine(atlas, "methods", "concepts", "layer2", $"neuron_{neuron}.json")))!.AsObject();
        Assert.True(record["provenance"]!.AsObject().Remove("created_utc"));
        return record.ToJsonString();
    }

}
