// The command tree of the `unravel` tool: one line per command (adding a command is its file plus a line here).

using System.CommandLine;

namespace Unravel.Cli;

internal static class CliCommands
{
    /// <summary>The root command with every subcommand.</summary>
    public static RootCommand Create() => new("Unravel: find, split and explain polysemantic neurons.")
    {
        ModelsCommand.Create(),
        InspectCommand.Create(),
        RunCommand.Create(),
        AttributeCommand.Create(),
        TrainCommand.Create(),
        CollectCommand.Create(),
        MergeCommand.Create(),
        NeuronsCommand.Create(),
        QueryCommand.Create(),
        ConceptsCommand.Create(),
        EmbedCommand.Create(),
        ReportCommand.Create(),
        ServeCommand.Create(),
        DemoCommand.Create(),
        PureCommand.Create(),
        SplitCommand.Create(),
        VisualizeCommand.Create(),
        ExplainCommand.Create(),
        ScoreCommand.Create(),
        SlurmCommand.Create(),
        K8sCommand.Create(),
        MergeRecordsCommand.Create(),
        ExportCommand.Create(),
        SaeCommand.Create(),
    };
}
