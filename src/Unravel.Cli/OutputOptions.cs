// --json, declared once for every command that prints a result (a table or lines by default, JSON when asked).

using System.CommandLine;

namespace Unravel.Cli;

/// <summary>--json.</summary>
/// <param name="insteadOfTable">Whether the help says the JSON replaces a table.</param>
internal sealed class OutputOptions(bool insteadOfTable = false)
{
    /// <summary>--json.</summary>
    public Option<bool> Json { get; } = new("--json")
    {
        Description = insteadOfTable ? "Print machine-readable JSON instead of the table." : "Print machine-readable JSON.",
    };

    /// <summary>Whether --json was given.</summary>
    public bool JsonOf(ParseResult parse) => parse.GetValue(Json);
}
