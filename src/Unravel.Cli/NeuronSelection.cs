// The --neurons option's text ("3,17") as neuron indices; the stage checks them against the layer.

using System.Globalization;

namespace Unravel.Cli;

internal static class NeuronSelection
{
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
