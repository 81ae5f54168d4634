// `unravel merge-records ATLAS`: indexes in atlas.db the per-neuron records that `--neurons-shard i/n` runs of concepts,
// pure, explain or embed wrote, and merges the shards of `split --find` into the layer's find.json, once every shard of
// a method and layer is done (RecordShards, SplitFindShards: order-invariant).

using System.CommandLine;
using Unravel.Atlas;
using Unravel.Atlas.Scale;

namespace Unravel.Cli;

internal static class MergeRecordsCommand
{
    private static readonly Argument<string> AtlasArgument = new("atlas") { Description = "Atlas directory the neuron shards wrote into." };

    public static Command Create()
    {
        Command command = new("merge-records", "Index the records (and merge the split searches) of `--neurons-shard i/n` runs once every shard is done.") { AtlasArgument };
        command.SetAction(parse => Run(parse.GetValue(AtlasArgument)!, Console.Out));
        return command;
    }

    internal static int Run(string atlasPath, TextWriter output)
    {
        var atlas = AtlasReader.Open(atlasPath);
        IReadOnlyList<(string Method, string Layer, int Shards, int Neurons)> merged = RecordShards.Merge(atlas);
        IReadOnlyList<(string Layer, int Shards, int Channels)> searches = SplitFindShards.Merge(atlas);
        if (merged.Count == 0 && searches.Count == 0)
            throw new UnravelUserException($"{atlasPath}: no neuron shards to merge.", "run a method with --neurons-shard i/n first (e.g. unravel concepts ATLAS --layer L --neurons-shard 0/4)");
        foreach ((string method, string layer, int shards, int neurons) in merged)
            output.WriteLine($"{method} on {layer}: {shards} shards, {neurons} neurons indexed");
        foreach ((string layer, int shards, int channels) in searches)
            output.WriteLine($"split find on {layer}: {shards} shards, {channels} channels searched → find.json");
        return ExitCodes.Success;
    }
}
