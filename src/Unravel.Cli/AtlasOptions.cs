// The ATLAS argument and --layer, declared once for every command that reads an atlas (concepts, pure, explain, embed,
// score, split, neurons, query, report, serve); AtlasSession resolves the layer name or alias.

using System.CommandLine;

namespace Unravel.Cli;

/// <summary>The ATLAS argument and, for per-layer commands, --layer.</summary>
internal sealed class AtlasOptions
{
    private readonly Option<string>? _layer;

    /// <param name="atlasDescription">The argument's help, where the command needs a particular atlas.</param>
    /// <param name="layerDescription">--layer's help, or null for a command without --layer.</param>
    public AtlasOptions(string atlasDescription = "Atlas directory (from `unravel collect`).", string? layerDescription = "Layer (hook name).")
    {
        Atlas = new Argument<string>("atlas") { Description = atlasDescription };
        if (layerDescription is not null) _layer = new Option<string>("--layer", "-l") { Description = layerDescription, Required = true };
    }

    /// <summary>ATLAS.</summary>
    public Argument<string> Atlas { get; }

    /// <summary>--layer.</summary>
    public Option<string> Layer => _layer ?? throw new InvalidOperationException("this command has no --layer");

    /// <summary>The ATLAS path.</summary>
    public string AtlasOf(ParseResult parse) => parse.GetValue(Atlas)!;

    /// <summary>The --layer name.</summary>
    public string LayerOf(ParseResult parse) => parse.GetValue(Layer)!;
}
