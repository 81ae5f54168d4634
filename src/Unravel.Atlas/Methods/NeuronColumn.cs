// A column a method adds to atlas.db's neurons table (and so to the report's layer table, `unravel neurons` and the
// explorer): its SQL name and type, and a description for help texts and docs/atlas-format.md.

namespace Unravel.Atlas.Methods;

/// <summary>A column of the neurons table that a method fills.</summary>
/// <param name="Name">SQL column name (snake_case; also the `neurons --sort` key).</param>
/// <param name="SqlType">"INTEGER" or "REAL".</param>
/// <param name="Description">What it holds.</param>
public sealed record NeuronColumn(string Name, string SqlType, string Description)
{
    /// <summary>Whether values are shown as integers.</summary>
    public bool IsInteger => SqlType == "INTEGER";
}
