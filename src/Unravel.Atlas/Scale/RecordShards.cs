// Per-neuron analyses fanned out like collection: `--neurons-shard i/n` runs a method on slice i of the selected
// neurons and writes those neurons' record files (disjoint files, so shards can run at once on a shared file system)
// plus a marker methods/<method>/<layer>/shards/shard-<i>-of-<n>.json naming them, and leaves atlas.db alone. Merge
// checks that every shard 0 … n-1 of a method and layer is there with disjoint neurons, then indexes all their records
// in ascending neuron order in one transaction — the same rows whatever order the shards ran or finished in.

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Unravel.Atlas.Methods;
using Unravel.IO;

namespace Unravel.Atlas.Scale;

/// <summary>Writes and merges the markers of neuron shards.</summary>
public static class RecordShards
{
    /// <summary>The markers' folder name under methods/&lt;method&gt;/&lt;layer&gt;/.</summary>
    public const string Folder = "shards";

    private const string Hint = "run every shard i/N of the method with the same N and neuron selection, then merge";

    /// <summary>Records that shard <paramref name="shard"/> wrote <paramref name="neurons"/> of <paramref name="layer"/>.</summary>
    internal static void WriteMarker(AtlasReader atlas, string method, string layer, Shard shard, int[] neurons)
    {
        string dir = Path.Combine(atlas.MethodFolder(method, layer), Folder);
        Directory.CreateDirectory(dir);
        var marker = new JsonObject
        {
            ["method"] = method, ["layer"] = layer, ["index"] = shard.Index, ["count"] = shard.Count,
            ["neurons"] = new JsonArray([.. neurons.Select(n => (JsonNode)n)]),
        };
        AtomicFile.WriteAllBytes(Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"shard-{shard.Index}-of-{shard.Count}.json")),
            JsonSerializer.SerializeToUtf8Bytes(marker));
    }

    /// <summary>Indexes the records of every complete set of neuron shards in the atlas and removes their markers.</summary>
    /// <returns>Per method and layer merged: the number of shards and of neurons indexed.</returns>
    /// <exception cref="AtlasFormatException">A shard is missing, two shards disagree on N or share a neuron, or a marker or record is malformed.</exception>
    public static IReadOnlyList<(string Method, string Layer, int Shards, int Neurons)> Merge(AtlasReader atlas)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        var merged = new List<(string, string, int, int)>();
        foreach (IAtlasMethod method in MethodRegistry.All)
        {
            string methodDir = atlas.PathOf("methods", method.Name);
            if (!Directory.Exists(methodDir)) continue;
            foreach (string layerDir in Directory.EnumerateDirectories(methodDir).Order(StringComparer.Ordinal))
            {
                string dir = Path.Combine(layerDir, Folder);
                if (!Directory.Exists(dir)) continue;
                var markers = Directory.EnumerateFiles(dir, "shard-*.json").Order(StringComparer.Ordinal).Select(Read).ToList();
                if (markers.Count == 0) continue;
                (string layer, int count) = (markers[0].Layer, markers[0].Count);
                if (markers.FirstOrDefault(m => m.Count != count || m.Layer != layer) is { File: not null } odd)
                    throw new AtlasFormatException(odd.File, $"{method.Name}: this shard is of {odd.Count} on '{odd.Layer}', another of {count} on '{layer}'.", Hint);
                int[] missing = [.. Enumerable.Range(0, count).Except(markers.Select(m => m.Index))];
                if (missing.Length > 0)
                    throw new AtlasFormatException(dir, $"{method.Name} on '{layer}': shard(s) {string.Join(", ", missing)} of {count} have not written their records.",
                        $"wait for them, or re-run them with --neurons-shard i/{count}");
                var seen = new HashSet<int>();
                foreach ((string file, _, _, _, int[] neurons) in markers)
                    foreach (int n in neurons)
                        if (!seen.Add(n)) throw new AtlasFormatException(file, $"{method.Name} on '{layer}': neuron {n} is in two shards.", Hint);
                int[] all = [.. seen.Order()];
                method.Index(atlas, layer, all);
                Directory.Delete(dir, recursive: true);
                merged.Add((method.Name, layer, count, all.Length));
            }
        }
        return merged;
    }

    private static (string File, string Layer, int Index, int Count, int[] Neurons) Read(string file)
    {
        try
        {
            JsonObject m = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new FormatException("not a JSON object");
            JsonNode Key(string key) => m[key] ?? throw new FormatException($"no \"{key}\"");
            return (file, Key("layer").GetValue<string>(), Key("index").GetValue<int>(), Key("count").GetValue<int>(),
                [.. Key("neurons").AsArray().Select(n => n?.GetValue<int>() ?? throw new FormatException("a null neuron"))]);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new AtlasFormatException(file, $"not a neuron shard marker ({e.Message}).", "re-run that shard");
        }
    }
}
