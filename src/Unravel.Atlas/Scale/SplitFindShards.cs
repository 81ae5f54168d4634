// The channel-split search (Hesse et al. 2025, arXiv 2504.12939) fanned out like the per-neuron methods:
// `split --find --neurons-shard i/n` tests slice i of the convolution's output channels and writes its search as
// methods/split/<conv>/shards/find-<i>-of-<n>.json, leaving find.json alone. Merge checks that every shard 0 … n-1 is
// there and that all searched the same images with the same model, options and per-class sums (each shard streams every
// image, since a channel's importance is relative to all channels), then concatenates their candidates, ARVs and cosines
// in shard (= channel) order into find.json: the file one unsharded search writes, whatever order the shards ran in.

using System.Globalization;
using System.Text.Json;
using Unravel.Atlas.Methods;
using Unravel.Interpret.ChannelSplit;

namespace Unravel.Atlas.Scale;

/// <summary>Writes and merges the shards of a channel-split search.</summary>
public static class SplitFindShards
{
    private const string Hint = "run every shard i/N of `split --find` with the same N, options and images, then merge";

    /// <summary>Path of shard <paramref name="shard"/>'s search of <paramref name="layer"/>.</summary>
    public static string PathOf(AtlasReader atlas, string layer, Shard shard)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        return Path.Combine(atlas.MethodFolder(SplitMethod.Instance.Name, layer), RecordShards.Folder,
            string.Create(CultureInfo.InvariantCulture, $"find-{shard.Index}-of-{shard.Count}.json"));
    }

    /// <summary>Writes a shard's search in one atomic step, waiting while another shard commits.</summary>
    internal static void Write(AtlasReader atlas, SplitFindFile file, Shard shard)
    {
        using AtlasCommit commit = AtlasCommit.Begin(atlas.Root, SplitMethod.Instance.Name, waitForOthers: true);
        commit.Stage(Path.GetRelativePath(atlas.Root, PathOf(atlas, file.Layer, shard)), JsonSerializer.SerializeToUtf8Bytes(file, SplitJson.Default.SplitFindFile));
        commit.Commit();
    }

    /// <summary>Merges every complete set of search shards in the atlas into its layer's find.json and removes the shards.</summary>
    /// <returns>Per layer merged: the number of shards and of channels searched.</returns>
    /// <exception cref="AtlasFormatException">A shard is missing or malformed, or two shards disagree on N, images, model or options.</exception>
    public static IReadOnlyList<(string Layer, int Shards, int Channels)> Merge(AtlasReader atlas)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        var merged = new List<(string, int, int)>();
        string methodDir = atlas.PathOf("methods", SplitMethod.Instance.Name);
        if (!Directory.Exists(methodDir)) return merged;
        foreach (string layerDir in Directory.EnumerateDirectories(methodDir).Order(StringComparer.Ordinal))
        {
            string dir = Path.Combine(layerDir, RecordShards.Folder);
            if (!Directory.Exists(dir)) continue;
            var shards = Directory.EnumerateFiles(dir, "find-*-of-*.json").Select(Read).OrderBy(s => s.Index).ThenBy(s => s.Count).ToList();
            if (shards.Count == 0) continue;
            (string file0, int _, int count, SplitFindFile first) = shards[0];
            if (shards.FirstOrDefault(s => s.Count != count) is { File: not null } odd)
                throw new AtlasFormatException(odd.File, $"split find: this shard is of {odd.Count}, {file0} of {count}.", Hint);
            int[] missing = [.. Enumerable.Range(0, count).Except(shards.Select(s => s.Index))];
            if (missing.Length > 0)
                throw new AtlasFormatException(dir, $"split find on '{first.Layer}': shard(s) {string.Join(", ", missing)} of {count} have not written their search.",
                    $"wait for them, or re-run them with --neurons-shard i/{count}");
            string common = Common(first);
            if (shards.FirstOrDefault(s => Common(s.Find) != common) is { File: not null } other)
                throw new AtlasFormatException(other.File, $"split find on '{first.Layer}': this shard searched other images, options or model than {file0}.", Hint);
            ChannelSplitFindResult find = first.Find with
            {
                Candidates = [.. shards.SelectMany(s => s.Find.Find.Candidates)],
                Arvs = [.. shards.SelectMany(s => s.Find.Find.Arvs)],
                Cosines = [.. shards.SelectMany(s => s.Find.Find.Cosines)],
            };
            SplitMethod.Instance.WriteFind(atlas, first with { Find = find });
            Directory.Delete(dir, recursive: true);
            merged.Add((first.Layer, count, find.OutChannels));
        }
        return merged;
    }

    /// <summary>What every shard of one search shares: the file without its time stamp and its per-channel tests.</summary>
    private static string Common(SplitFindFile f) => JsonSerializer.Serialize(f with
    {
        Provenance = f.Provenance with { CreatedUtc = default },
        Find = f.Find with { Candidates = [], Arvs = [], Cosines = [] },
    }, SplitJson.Default.SplitFindFile);

    private static (string File, int Index, int Count, SplitFindFile Find) Read(string file)
    {
        string[] parts = Path.GetFileNameWithoutExtension(file).Split('-');   // find-<i>-of-<n>
        SplitFindFile? find = MethodFile.Read(file, SplitJson.Default.SplitFindFile, "a split search shard", "unravel split ATLAS --layer L --find --neurons-shard i/N",
            f => f.Find is null || f.Provenance is null || f.Images is null ? null : f.FormatVersion);
        if (find is null || parts.Length != 4 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            || !int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || index >= count)
            throw new AtlasFormatException(file, "not a split search shard (find-<i>-of-<n>.json).", "re-run that shard");
        return (file, index, count, find);
    }
}
