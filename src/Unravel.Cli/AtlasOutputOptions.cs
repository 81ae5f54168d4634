// --out and --force of the commands that create an atlas directory (collect, merge), declared once.

using System.CommandLine;

namespace Unravel.Cli;

/// <summary>--out (the atlas directory to create) and --force.</summary>
/// <param name="outDescription">--out's help.</param>
internal sealed class AtlasOutputOptions(string outDescription)
{
    /// <summary>--out.</summary>
    public Option<string> Out { get; } = new("--out", "-o") { Description = outDescription, Required = true };

    /// <summary>--force.</summary>
    public Option<bool> Force { get; } = new("--force") { Description = "Replace an existing atlas directory." };

    /// <summary>The --out path.</summary>
    public string OutOf(ParseResult parse) => parse.GetValue(Out)!;

    /// <summary>Whether --force was given.</summary>
    public bool ForceOf(ParseResult parse) => parse.GetValue(Force);

    /// <summary>User error when the atlas directory exists and --force was not given.</summary>
    /// <exception cref="UnravelUserException">The directory exists.</exception>
    public static void CheckFree(string path, bool force)
    {
        if (File.Exists(path)) throw new UnravelUserException($"--out {path} is a file; an atlas is a folder.", "choose another --out");
        if (Directory.Exists(path) && !force)
            throw new UnravelUserException($"{path} already exists.", "choose another --out, or pass --force to replace it");
    }
}
