// The --neurons option's text ("3,17") as neuron indices; the stage checks them against the layer. --neurons-shard
// i/n|auto runs slice i of the selected neurons only (the shard's records are indexed by `unravel merge-records`).

using System.CommandLine;
using System.Globalization;
using Unravel.Atlas.Scale;

namespace Unravel.Cli;

internal static class NeuronSelection
{
    /// <summary>--neurons-shard: one contiguous slice of the selected neurons, for fanning a layer out over a scheduler.</summary>
    public static readonly Option<string?> ShardOption = new("--neurons-shard")
    {
        Description = "Analyse slice i of n of the selected neurons, e.g. 2/8, or auto (Slurm array, Open MPI; auto/N in a Kubernetes Indexed Job); "
            + "index the records with `unravel merge-records ATLAS` once every shard is done.",
    };

    /// <summary>The atlas opened for the analysis: whole, or for the --neurons-shard slice (its source said on <paramref name="error"/>).</summary>
    /// <exception cref="UnravelException">A malformed --neurons-shard, or auto without a complete scheduler environment.</exception>
    public static AtlasSession Open(string atlas, string? shard, TextWriter error)
    {
        if (shard is null) return AtlasSession.Open(atlas);
        (Shard resolved, string source) = SchedulerShard.Resolve(shard, null, Environment.GetEnvironmentVariable, "--neurons-shard");
        error.WriteLine($"neurons shard {resolved} from {source}; index the records with `unravel merge-records {atlas}` once every shard is done");
        return AtlasSession.Open(atlas, resolved);
    }

    /// <summary>The indices of a --neurons list (duplicates dropped, order kept), or null (every neuron) when absent.</summary>
    /// <exception cref="UnravelUserException">An entry is not a non-negative integer, or the list is empty.</exception>
    public static IReadOnlyList<int>? Parse(string? list)
    {
        if (list is null) return null;
        var result = new List<int>();
        foreach (string part in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                throw new UnravelUserException($"--neurons: '{part}' is not a neuron index.", "pass indices such as --neurons 3,17");
            if (!result.Contains(n)) result.Add(n);
        }
        if (result.Count == 0) throw new UnravelUserException("--neurons is empty.", "pass indices such as --neurons 3,17, or --all");
        return result;
    }
}
