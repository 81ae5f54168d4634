// What the user passes as MODEL, declared once for every command that opens a model (run, inspect, attribute, collect,
// visualize): the model argument (a shipped name, checkpoint file, Hugging Face folder or architecture name) and
// --arch for a checkpoint that does not record its architecture. ModelReference parses both.

using System.CommandLine;

namespace Unravel.Cli;

/// <summary>The MODEL argument and --arch.</summary>
/// <param name="modelDescription">The argument's help, where the command takes more or fewer kinds of model.</param>
/// <param name="archDescription">--arch's help.</param>
internal sealed class ModelReferenceOptions(
    string modelDescription = "Checkpoint file, Hugging Face folder, or architecture name (random weights).",
    string archDescription = "Architecture of a checkpoint file (see `unravel models`).")
{
    /// <summary>MODEL.</summary>
    public Argument<string> Model { get; } = new("model") { Description = modelDescription };

    /// <summary>--arch.</summary>
    public Option<string?> Arch { get; } = new("--arch") { Description = archDescription };

    /// <summary>The MODEL text.</summary>
    public string ModelOf(ParseResult parse) => parse.GetValue(Model)!;

    /// <summary>The --arch text, or null.</summary>
    public string? ArchOf(ParseResult parse) => parse.GetValue(Arch);
}
