// The neuron-selection options of the per-neuron commands (concepts, pure, explain, embed, score, split --find), declared once:
// --neurons i,j and, where the command analyses every neuron by default, --all. The text parses into neuron indices;
// the stage checks them against the layer.
// --neurons-shard i/n|auto runs slice i of the selected neurons only (the shard's records are indexed by
// `unravel merge-records`).

using System.CommandLine;
using System.Globalization;
using Unravel.Atlas.Scale;

namespace Unravel.Cli;

/// <summary>--neurons (and --all) of a per-neuron command, and their parser.</summary>
internal sealed class NeuronSelection
{
    private const string DefaultNeuronsDescription = "Comma-separated neuron indices (default: all).";
    private readonly Option<bool>? _all;

    private NeuronSelection(string neuronsDescription, Option<bool>? all)
    {
        Neurons = new Option<string?>("--neurons", "-n") { Description = neuronsDescription };
        _all = all;
    }

    /// <summary>--neurons and --all, for a command that analyses every neuron unless told otherwise.</summary>
    /// <param name="verb">What the command does to each neuron, in --all's help ("Analyse", "Split", "Explain").</param>
    public static NeuronSelection WithAll(string verb) =>
        new(DefaultNeuronsDescription, new Option<bool>("--all") { Description = $"{verb} every neuron of the layer (the default)." });

    /// <summary>Only --neurons, with the command's own default in its help.</summary>
    public static NeuronSelection NeuronsOnly(string description) => new(description, null);

    /// <summary>--neurons i,j.</summary>
    public Option<string?> Neurons { get; }

    /// <summary>--all.</summary>
    public Option<bool> All => _all ?? throw new InvalidOperationException("this command has no --all");

    /// <summary>The --neurons text, or null.</summary>
    public string? NeuronsOf(ParseResult parse) => parse.GetValue(Neurons);

    /// <summary>Whether --all was given.</summary>
    public bool AllOf(ParseResult parse) => _all is not null && parse.GetValue(_all);

    /// <summary>The indices of a --neurons list, or null (every neuron) when absent; --neurons and --all exclude each other.</summary>
    /// <exception cref="UnravelUserException">Both were given, an entry is not a non-negative integer, or the list is empty.</exception>
    public static IReadOnlyList<int>? Parse(string? list, bool all)
    {
        if (list is not null && all) throw new UnravelUserException("--neurons and --all exclude each other.", "pass one of them (no option = --all)");
        return Parse(list);
    }

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
