// Argument checks shared by the simulators.

namespace Unravel.Interpret.Scoring;

internal static class Checks
{
    public static void Lengths(ReadOnlySpan<int> rows, Span<double> destination, int known)
    {
        if (rows.Length != destination.Length)
            throw new ArgumentException($"score: {rows.Length} rows but room for {destination.Length} predictions.", nameof(destination));
        foreach (int r in rows)
            if ((uint)r >= (uint)known) throw new ArgumentException($"score: row {r} outside the simulator's {known} rows.", nameof(rows));
    }
}
